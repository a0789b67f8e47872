"""Lighthouse CI's assertion presets as data: ``lighthouse:recommended``, ``lighthouse:no-pwa`` and
``lighthouse:all`` (@lhci/utils 0.x, ``packages/utils/src/presets``), each an audit id -> (level, options).

A preset is a set of per-audit assertions; a lighthouserc's own ``assertions`` replace the preset's entry of
the same audit, as Lighthouse CI merges them.  Which of these bigday can check is decided in
``bigday.compare.lighthouse``; the rest is listed, never dropped in silence.
"""

from __future__ import annotations

from typing import Any

Assertion = tuple[str, dict[str, Any]]


def _group(level: str, options: dict[str, Any], audits: str) -> dict[str, Assertion]:
    return {a: (level, dict(options)) for a in audits.split()}


_RECOMMENDED: dict[str, Assertion] = {
    # Flaky audits: warn at a score of 0.9.
    **_group(
        "warn",
        {"minScore": 0.9},
        "bootup-time mainthread-work-breakdown first-contentful-paint first-cpu-idle first-meaningful-paint "
        "interactive speed-index max-potential-fid",
    ),
    "load-fast-enough-for-pwa": ("warn", {}),
    "uses-rel-preload": ("warn", {"minScore": 1}),
    # Diagnostics without a score: off.
    **_group(
        "off",
        {},
        "critical-request-chains final-screenshot js-libraries main-thread-tasks screenshot-thumbnails "
        "network-requests network-rtt network-server-latency user-timings diagnostics metrics",
    ),
    # Opportunities: no item may be listed.
    **_group(
        "error",
        {"maxLength": 0},
        "efficient-animated-content offscreen-images unminified-css unminified-javascript unused-css-rules "
        "uses-optimized-images uses-rel-preconnect uses-responsive-images uses-text-compression "
        "errors-in-console",
    ),
    **_group("warn", {"maxLength": 0}, "render-blocking-resources uses-webp-images uses-long-cache-ttl"),
    **_group("warn", {}, "is-on-https redirects-http time-to-first-byte uses-http2"),
    # Everything else: an error below a score of 0.9.
    **_group(
        "error",
        {},
        "appcache-manifest aria-allowed-attr aria-required-attr aria-required-children aria-required-parent "
        "aria-roles aria-valid-attr-value aria-valid-attr audio-caption button-name color-contrast content-width "
        "definition-list document-title dom-size duplicate-id external-anchors-use-rel-noopener font-display "
        "font-size frame-title geolocation-on-start html-has-lang html-lang-valid http-status-code image-alt "
        "image-aspect-ratio input-image-alt installable-manifest is-crawlable layout-table link-name link-text "
        "meta-description meta-refresh meta-viewport no-document-write no-vulnerable-libraries "
        "notification-on-start object-alt offline-start-url password-inputs-can-be-pasted-into robots-txt "
        "service-worker splash-screen tap-targets td-headers-attr th-has-data-cells themed-omnibox "
        "total-byte-weight uses-passive-event-listeners valid-lang video-caption video-description "
        "without-javascript works-offline accesskeys bypass canonical deprecations dlitem doctype hreflang "
        "label list listitem plugins redirects tabindex viewport",
    ),
}

_NO_PWA: dict[str, Assertion] = {
    **_RECOMMENDED,
    **_group(
        "off",
        {},
        "is-on-https service-worker installable-manifest splash-screen themed-omnibox content-width viewport "
        "maskable-icon",
    ),
}

_ALL: dict[str, Assertion] = {
    **_group(
        "off",
        {},
        "critical-request-chains final-screenshot js-libraries main-thread-tasks screenshot-thumbnails "
        "network-requests network-rtt network-server-latency user-timings diagnostics metrics "
        "estimated-input-latency total-blocking-time resource-summary third-party-summary apple-touch-icon",
    ),
    **{a: ("error", {}) for a in _RECOMMENDED if _RECOMMENDED[a][0] != "off" and a != "uses-rel-preload"},
    **_group("error", {}, "performance-budget uses-rel-preload"),
}

PRESETS: dict[str, dict[str, Assertion]] = {
    "lighthouse:recommended": _RECOMMENDED,
    "lighthouse:no-pwa": _NO_PWA,
    "lighthouse:all": _ALL,
}
