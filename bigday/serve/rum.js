/* bigday field beacon: web-vitals (the pinned attribution build, served before this) measured on a real
   visit, sent once when the page is first hidden. Configuration: the script tag's data-key, data-endpoint,
   data-sample-rate, data-tenant, data-route and data-visit (a synthetic visit's label, for a probe to find its
   own beacon; never anything of a real visitor's), or window.bigdayRum = {tenant: fn, route: fn} set by the app
   before this script runs. The route is a template (/clients/:id); without one, id-like segments of the
   path become :id and the query and fragment are never sent. */
(function () {
  "use strict";
  var script = document.currentScript || {};
  var ds = script.dataset || {};
  var app = window.bigdayRum || {};
  var rate = ds.sampleRate === undefined ? 1 : parseFloat(ds.sampleRate);
  if (!(rate > 0) || Math.random() >= rate || !window.webVitals) return;
  var endpoint = ds.endpoint || new URL("/rum", script.src || location.href).href;
  var FIELDS = {
    lcp: ["target", "url", "timeToFirstByte", "resourceLoadDelay", "resourceLoadDuration", "elementRenderDelay"],
    inp: ["interactionTarget", "interactionType", "interactionTime", "inputDelay", "processingDuration",
          "presentationDelay", "loadState"],
    cls: ["largestShiftTarget", "largestShiftTime", "largestShiftValue", "loadState"],
    fcp: ["timeToFirstByte", "firstByteToFCP", "loadState"],
    ttfb: ["waitingDuration", "cacheDuration", "dnsDuration", "connectionDuration", "requestDuration"]
  };
  var ID = /^(\d+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{12,}|(?=[\w-]*\d)[\w-]{20,})$/i;
  var metrics = {};
  var navigation = null;
  var sent = false;

  function text(s) {
    // eslint-disable-next-line no-control-regex
    return String(s).replace(/[\u0000-\u001f\u007f]/g, " ").slice(0, 300);
  }

  function pick(name, attribution) {
    var out = {};
    (FIELDS[name] || []).forEach(function (k) {
      var v = attribution && attribution[k];
      if (typeof v === "number" && isFinite(v) && v >= 0) out[k] = v;
      else if (typeof v === "string" && v) out[k] = text(k === "url" ? v.split(/[?#]/)[0] : v);
    });
    return out;
  }

  function put(metric) {
    var name = metric.name.toLowerCase();
    if (!isFinite(metric.value) || metric.value < 0) return;
    metrics[name] = {value: metric.value, attribution: pick(name, metric.attribution)};
    if (!navigation && metric.navigationType) navigation = metric.navigationType;
  }

  function selector(node) {
    if (!node || node.nodeType !== 1) return undefined;
    var s = node.nodeName.toLowerCase();
    if (node.id) return s + "#" + node.id;
    if (typeof node.className === "string" && node.className.trim()) {
      return s + "." + node.className.trim().split(/\s+/).join(".");
    }
    return s;
  }

  function routeTemplate() {
    var given = typeof app.route === "function" ? app.route() : ds.route;
    if (given) return String(given);
    var segments = location.pathname.split("/").map(function (seg) {
      return seg && (ID.test(seg) || !/^[A-Za-z0-9._~-]+$/.test(seg)) ? ":id" : seg;
    });
    return segments.join("/") || "/";
  }

  function deviceClass() {
    var ua = navigator.userAgent;
    if (navigator.userAgentData && navigator.userAgentData.mobile) return "mobile";
    if (/iPad|Tablet/.test(ua) || (/Android/.test(ua) && !/Mobile/.test(ua))) return "tablet";
    return /Mobi|iPhone|Android/.test(ua) ? "mobile" : "desktop";
  }

  function send() {
    if (sent || !Object.keys(metrics).length) return;
    sent = true;
    var connection = navigator.connection && navigator.connection.effectiveType;
    var body = JSON.stringify({
      v: 1,
      key: ds.key,
      tenant: typeof app.tenant === "function" ? app.tenant() : ds.tenant,
      route: routeTemplate(),
      nav: navigation || undefined,
      device: deviceClass(),
      ect: connection || undefined,
      metrics: metrics,
      visit: ds.visit || undefined
    });
    var queued = false;
    try {
      queued = !!(navigator.sendBeacon && navigator.sendBeacon(endpoint, body));
    } catch (e) {
      queued = false;
    }
    if (!queued) {
      try {
        fetch(endpoint, {method: "POST", body: body, keepalive: true, credentials: "omit",
                         headers: {"Content-Type": "text/plain;charset=UTF-8"}});
      } catch (e) { /* nothing more to try: a lost beacon is one visit fewer */ }
    }
  }

  // Every change is kept and the last one sent, as bigday's probe does: without reportAllChanges, a page
  // with a 150 ms click, hidden 200 ms later, sent no INP here (Chromium 156, web-vitals 6.2.3).
  var wv = window.webVitals;
  var every = {reportAllChanges: true};
  wv.onLCP(put, every);
  wv.onINP(put, every);
  wv.onCLS(put, every);
  wv.onFCP(put);
  wv.onTTFB(put);
  try {
    // FID is gone from web-vitals 5; the first-input entry still gives it.
    new PerformanceObserver(function (list) {
      var e = list.getEntries()[0];
      if (!e || metrics.fid) return;
      var a = {eventType: e.name, loadState: document.readyState};
      var target = selector(e.target);
      if (target) a.eventTarget = text(target);
      metrics.fid = {value: Math.max(0, e.processingStart - e.startTime), attribution: a};
    }).observe({type: "first-input", buffered: true});
  } catch (e) { /* a browser without Event Timing reports no FID */ }
  // Bubbling listeners on window run after web-vitals' capturing ones, so the hidden page's final CLS, INP
  // and LCP are in hand when the beacon goes. On a navigation, pagehide comes before the page is hidden (and
  // before web-vitals reports), so it sends only for a browser that hid the page without telling.
  function onHidden() {
    if (document.visibilityState === "hidden") send();
  }
  addEventListener("visibilitychange", onHidden);
  addEventListener("pagehide", onHidden);
})();
