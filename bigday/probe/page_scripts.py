"""Page-side code the probe runs: the collector init script, and the functions it evaluates during a run."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from bigday.probe.assets import ProbeAssets

COLLECTOR_PATH = Path(__file__).with_name("collector.js")
BINDING_NAME = "__bigdayReport"


@lru_cache(maxsize=1)
def collector_source() -> str:
    return COLLECTOR_PATH.read_text(encoding="utf-8")


def init_script(assets: ProbeAssets, settle_horizon_ms: float) -> str:
    """web-vitals' IIFE then the collector, as one init script.

    Playwright runs an init script inside a function, so the IIFE's top-level ``var webVitals`` would stay
    local to it; publishing it on ``self`` is what lets the collector (and a tester in DevTools) reach it.
    ``settle_horizon_ms`` is how far ahead scheduled work counts as still to do (the settle rules)."""
    return (
        f"self.__bigdaySettleHorizon = {float(settle_horizon_ms)!r};\n"
        f"{assets.web_vitals_source}\n;self.webVitals = webVitals;\n{collector_source()}"
    )


# What the page still has to do: the last LCP candidate and the load event, the work it has scheduled
# (timers, chains of animation frames, finite animations), and when its main thread was last busy.
SETTLE_PROBE_JS = """() => {
  const s = window.__bigday;
  const settle = window.__bigdaySettle;
  const work = settle ? settle() : null;
  const nav = performance.getEntriesByType('navigation')[0];
  return {
    now: performance.now(),
    last_candidate: s ? s.lastLcpCandidateAt : 0,
    load_end: nav ? nav.loadEventEnd : 0,
    candidates: s ? s.lcpCandidates : 0,
    instrumented: !!s && !!settle,
    work,
  };
}"""

# A user-timing mark: its trace event and its startTime tie the trace's clock to navigation start.
ORIGIN_MARK = "__bigday_origin"
ORIGIN_MARK_JS = f"() => performance.mark({ORIGIN_MARK!r}).startTime"

# After trusted input: let the next frame paint (Event Timing entries are dispatched after it).
NEXT_PAINT_JS = """() => new Promise((resolve) =>
  requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(resolve, 0))))"""

# The first-input entry and web-vitals' INP report arrive a task or an idle period after that paint.
INPUT_RECORDED_JS = """() => {
  const s = window.__bigday;
  return !s || (s.firstInput !== null && 'INP' in s.vitals);
}"""

SNAPSHOT_JS = """() => {
  const s = window.__bigday;
  const nav = performance.getEntriesByType('navigation')[0];
  const resources = performance.getEntriesByType('resource').map((r) => ({
    name: r.name, initiatorType: r.initiatorType, contentType: r.contentType, responseStatus: r.responseStatus,
    transferSize: r.transferSize, encodedBodySize: r.encodedBodySize, decodedBodySize: r.decodedBodySize,
    startTime: r.startTime, duration: r.duration, renderBlockingStatus: r.renderBlockingStatus,
    nextHopProtocol: r.nextHopProtocol, domainLookupStart: r.domainLookupStart, domainLookupEnd: r.domainLookupEnd,
  }));
  // Each loaded image: what was fetched (natural size) against the box it is drawn in, and how it was asked for.
  const images = Array.from(document.images).filter((img) => img.complete && img.naturalWidth > 0).slice(0, 150)
    .map((img) => {
      const box = img.getBoundingClientRect();
      const src = img.currentSrc || img.src;
      // An inline image's URL is its bytes: named by its size, never copied into the run folder.
      const url = src.startsWith('data:') ? `(inline data URL, ${src.length} characters)` : src;
      return {
        url, id: img.id || null, natural_width: img.naturalWidth,
        natural_height: img.naturalHeight, width: Math.round(box.width * 10) / 10,
        height: Math.round(box.height * 10) / 10, loading: img.getAttribute('loading') || 'eager',
        fetchpriority: img.getAttribute('fetchpriority') || 'auto', srcset: img.hasAttribute('srcset'),
      };
    });
  return {
    now: performance.now(),
    url: location.href,
    navigation: nav ? nav.toJSON() : null,
    resources,
    images,
    dpr: window.devicePixelRatio,
    state: s ? {
      vitals: s.vitals, longTasks: s.longTasks, longAnimationFrames: s.longAnimationFrames,
      firstInput: s.firstInput, interactions: s.interactions, lcpCandidates: s.lcpCandidates,
    } : null,
    dom_nodes: document.getElementsByTagName('*').length,
  };
}"""

# Lighthouse 12.2.3's axe options (core/gather/gatherers/accessibility.js), so the score weighs the same rules.
AXE_RUN_JS = """async () => {
  const axe = window.axe;
  axe.configure({noHtml: true});
  const results = await axe.run(document, {
    runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']},
    resultTypes: ['violations', 'inapplicable'],
    rules: {
      'accesskeys': {enabled: true}, 'area-alt': {enabled: false}, 'aria-allowed-role': {enabled: true},
      'aria-braille-equivalent': {enabled: false}, 'aria-conditional-attr': {enabled: true},
      'aria-deprecated-role': {enabled: true}, 'aria-dialog-name': {enabled: true},
      'aria-prohibited-attr': {enabled: true}, 'aria-roledescription': {enabled: false},
      'aria-treeitem-name': {enabled: true}, 'aria-text': {enabled: true}, 'audio-caption': {enabled: false},
      'blink': {enabled: false}, 'duplicate-id': {enabled: false}, 'empty-heading': {enabled: true},
      'frame-focusable-content': {enabled: false}, 'frame-title-unique': {enabled: false},
      'heading-order': {enabled: true}, 'html-xml-lang-mismatch': {enabled: true},
      'identical-links-same-purpose': {enabled: true}, 'image-redundant-alt': {enabled: true},
      'input-button-name': {enabled: true}, 'label-content-name-mismatch': {enabled: true},
      'landmark-one-main': {enabled: true}, 'link-in-text-block': {enabled: true}, 'marquee': {enabled: false},
      'meta-viewport': {enabled: true}, 'nested-interactive': {enabled: false},
      'no-autoplay-audio': {enabled: false}, 'role-img-alt': {enabled: false},
      'scrollable-region-focusable': {enabled: false}, 'select-name': {enabled: true},
      'server-side-image-map': {enabled: false}, 'skip-link': {enabled: true}, 'summary-name': {enabled: false},
      'svg-img-alt': {enabled: false}, 'tabindex': {enabled: true}, 'table-duplicate-name': {enabled: true},
      'table-fake-caption': {enabled: true}, 'target-size': {enabled: true}, 'td-has-header': {enabled: true},
    },
  });
  document.documentElement.scrollTop = 0;
  return {
    version: results.testEngine.version,
    violations: results.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length,
      targets: v.nodes.slice(0, 5).map((n) => n.target.join(' ')),
    })),
    inapplicable: results.inapplicable.map((r) => r.id),
    incomplete: results.incomplete.map((r) => r.id),
    errored: results.incomplete.filter((r) => r.error).map((r) => r.id),
  };
}"""
