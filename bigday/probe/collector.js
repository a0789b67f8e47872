// bigday's in-page collector. Injected as an init script right after web-vitals' attribution IIFE
// (which it reads as self.webVitals), before any of the page's own scripts run.
//
// Vitals come from web-vitals with reportAllChanges: true, so the last report of each metric is its value;
// every report is also delivered to Python through the __bigdayReport binding, and closing the page with
// run_before_unload hides it, which makes web-vitals report the final CLS and INP (no stubbed events).
// The few observers below add what web-vitals does not give: long tasks and long animation frames (TBT and
// their attribution), the legacy first-input entry (FID), and when the last LCP candidate arrived (the probe
// waits for candidates to settle before it interacts: an interaction ends LCP recording).
(() => {
  if (window !== window.top || window.__bigday) return;
  const MAX_ENTRIES = 200;
  const state = {
    vitals: {},
    lcpCandidates: 0,
    lastLcpCandidateAt: 0,
    longTasks: [],
    longAnimationFrames: [],
    firstInput: null,
    interactions: 0,
  };
  Object.defineProperty(window, '__bigday', {value: state});

  const round = (x) => (typeof x === 'number' && Number.isFinite(x) ? Math.round(x * 10000) / 10000 : null);
  const rect = (r) => (r ? {x: r.x, y: r.y, width: r.width, height: r.height} : null);
  const describe = (node) => {
    if (!node || node.nodeType !== 1) return node ? node.nodeName.toLowerCase() : null;
    let s = node.tagName.toLowerCase();
    if (node.id) return `${s}#${node.id}`;
    const cls = typeof node.className === 'string' ? node.className.trim().split(/\s+/).filter(Boolean) : [];
    if (cls.length) s += '.' + cls.slice(0, 3).join('.');
    return s;
  };

  const attributionOf = (m) => {
    const a = m.attribution || {};
    switch (m.name) {
      case 'LCP':
        return {
          element: a.target ?? null,
          url: a.url ?? null,
          tag: a.lcpEntry && a.lcpEntry.element ? a.lcpEntry.element.tagName.toLowerCase() : null,
          size: a.lcpEntry ? a.lcpEntry.size : null,
          time_to_first_byte: round(a.timeToFirstByte),
          resource_load_delay: round(a.resourceLoadDelay),
          resource_load_duration: round(a.resourceLoadDuration),
          element_render_delay: round(a.elementRenderDelay),
        };
      case 'CLS':
        return {
          largest_shift_target: a.largestShiftTarget ?? null,
          largest_shift_time: round(a.largestShiftTime),
          largest_shift_value: round(a.largestShiftValue),
          load_state: a.loadState ?? null,
          sources: ((a.largestShiftEntry && a.largestShiftEntry.sources) || []).map((s) => ({
            node: describe(s.node),
            previous_rect: rect(s.previousRect),
            current_rect: rect(s.currentRect),
          })),
        };
      case 'INP':
        return {
          interaction_target: a.interactionTarget ?? null,
          interaction_type: a.interactionType ?? null,
          interaction_time: round(a.interactionTime),
          input_delay: round(a.inputDelay),
          processing_duration: round(a.processingDuration),
          presentation_delay: round(a.presentationDelay),
          load_state: a.loadState ?? null,
          longest_script: a.longestScript ? {
            invoker: a.longestScript.entry.invoker,
            source_url: a.longestScript.entry.sourceURL,
            function: a.longestScript.entry.sourceFunctionName,
            subpart: a.longestScript.subpart,
            duration: round(a.longestScript.intersectingDuration),
          } : null,
        };
      case 'FCP':
        return {
          time_to_first_byte: round(a.timeToFirstByte),
          first_byte_to_fcp: round(a.firstByteToFCP),
          load_state: a.loadState ?? null,
        };
      case 'TTFB':
        return {
          waiting: round(a.waitingDuration),
          cache: round(a.cacheDuration),
          dns: round(a.dnsDuration),
          connection: round(a.connectionDuration),
          request: round(a.requestDuration),
        };
      default:
        return {};
    }
  };

  const report = (m) => {
    const plain = {
      name: m.name,
      value: m.value,
      rating: m.rating,
      navigation_type: m.navigationType,
      reported_at: round(performance.now()),
      attribution: attributionOf(m),
    };
    state.vitals[m.name] = plain;
    const deliver = window.__bigdayReport;
    // The binding answers with a promise that rejects once the page is gone; nothing to do about that.
    if (typeof deliver === 'function') deliver(plain).catch(() => {});
  };

  const wv = self.webVitals;
  if (wv) {
    const opts = {reportAllChanges: true};
    wv.onLCP(report, opts);
    wv.onCLS(report, opts);
    wv.onINP(report, opts);
    wv.onFCP(report, opts);
    wv.onTTFB(report, opts);
  }

  const observe = (type, callback, extra) => {
    try {
      new PerformanceObserver((list) => list.getEntries().forEach(callback))
        .observe({type, buffered: true, ...(extra || {})});
    } catch (e) {
      // An entry type this browser lacks: that part of the record stays empty.
    }
  };
  // The gallery alone can exceed the default buffer of 250 resource entries.
  performance.setResourceTimingBufferSize(2000);

  observe('largest-contentful-paint', () => {
    state.lcpCandidates += 1;
    state.lastLcpCandidateAt = performance.now();
  });
  observe('longtask', (e) => {
    if (state.longTasks.length >= MAX_ENTRIES) return;
    state.longTasks.push({
      start: round(e.startTime),
      duration: round(e.duration),
      attribution: (e.attribution || []).map((a) => ({
        name: a.name, container_type: a.containerType, container_src: a.containerSrc, container_id: a.containerId,
      })),
    });
  });
  observe('long-animation-frame', (e) => {
    if (state.longAnimationFrames.length >= MAX_ENTRIES) return;
    state.longAnimationFrames.push({
      start: round(e.startTime),
      duration: round(e.duration),
      blocking_duration: round(e.blockingDuration),
      scripts: (e.scripts || []).slice(0, 5).map((s) => ({
        invoker: s.invoker,
        invoker_type: s.invokerType,
        source_url: s.sourceURL,
        function: s.sourceFunctionName,
        start: round(s.startTime),
        duration: round(s.duration),
        forced_style_and_layout: round(s.forcedStyleAndLayoutDuration),
      })),
    });
  });
  observe('first-input', (e) => {
    state.firstInput = {
      type: e.name,
      start: round(e.startTime),
      processing_start: round(e.processingStart),
      processing_end: round(e.processingEnd),
      delay: round(e.processingStart - e.startTime),
      target: describe(e.target),
    };
  });
  observe('event', (e) => {
    if (e.interactionId) state.interactions += 1;
  }, {durationThreshold: 16});
})();
