/* bigday reference app: runtime shared by every page (config, API helper, fault knobs). */
(function () {
  "use strict";
  var cfgEl = document.getElementById("bigday-config");
  var cfg = cfgEl ? JSON.parse(cfgEl.textContent) : { knobs: {}, query: "", page: "" };
  var knobs = cfg.knobs || {};

  // A busy loop that really occupies the main thread (the fault knobs' long tasks and slow handlers).
  function busy(ms) {
    var end = performance.now() + ms;
    var x = 0;
    while (performance.now() < end) { x = (x + 1) % 1000003; }
    return x;
  }

  function withQuery(path, extra) {
    var q = cfg.query || "";
    if (extra) { q = q ? q + "&" + extra : extra; }
    return q ? path + (path.indexOf("?") < 0 ? "?" : "&") + q : path;
  }

  function api(path, extra) {
    return fetch(withQuery(path, extra), { headers: { Accept: "application/json" } }).then(function (r) {
      if (!r.ok) { throw new Error(path + " answered " + r.status); }
      return r.json();
    });
  }

  function number(n) { return Number(n).toLocaleString("en-GB"); }

  var app = (window.bigdayApp = {
    cfg: cfg,
    knobs: knobs,
    busy: busy,
    api: api,
    withQuery: withQuery,
    number: number,
    modules: window.bigdayApp && window.bigdayApp.modules ? window.bigdayApp.modules : {},
    // Each interaction handler calls this once after its DOM work: the slow_handler knob.
    slowHandler: function () { if (knobs.slow_handler > 0) { busy(knobs.slow_handler); } },
    // Announce a change to assistive technology through a polite live region.
    announce: function (id, text) { var el = document.getElementById(id); if (el) { el.textContent = text; } }
  });

  window.addEventListener("load", function () {
    if (knobs.long_task > 0) {
      setTimeout(function () { busy(knobs.long_task); }, 0);
    }
    if (knobs.jank > 0) {
      setInterval(function () { busy(knobs.jank); }, Math.max(1, knobs.jank_every || 100));
    }
    if (knobs.shift > 0) {
      setTimeout(function () {
        var victim = document.getElementById("shift-victim");
        // Moving `top` (not a transform) is what the layout-shift tracker counts.
        if (victim) { victim.style.top = (100 + knobs.shift) + "px"; victim.setAttribute("data-shifted", "1"); }
      }, knobs.shift_at);
    }
  });
  app.ready = true;
})();
