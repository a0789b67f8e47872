// bigday's in-page collector. Injected as an init script right after web-vitals' attribution IIFE
// (which it reads as self.webVitals), before any of the page's own scripts run.
//
// Vitals come from web-vitals with reportAllChanges: true, so the last report of each metric is its value;
// every report is also delivered to Python through the __bigdayReport binding, and closing the page with
// run_before_unload hides it, which makes web-vitals report the final CLS and INP (no stubbed events).
// The few observers below add what web-vitals does not give: long tasks and long animation frames (TBT and
// their attribution), the legacy first-input entry (FID), when the last LCP candidate arrived, and the work
// the page has scheduled (timers, chains of animation frames): the probe waits for all of it to settle
// before it interacts, because an interaction ends LCP recording.
(() => {
  if (window !== window.top || window.__bigday) return;
  const MAX_ENTRIES = 200;
  // Work due further ahead than this, and repeating work older than this, is not waited for (settle rules).
  const HORIZON = typeof self.__bigdaySettleHorizon === 'number' ? self.__bigdaySettleHorizon : 3000;
  const state = {
    vitals: {},
    lcpCandidates: 0,
    lastLcpCandidateAt: 0,
    longTasks: [],
    longAnimationFrames: [],
    firstInput: null,
    interactions: 0,
    scheduled: null,
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
      const po = new PerformanceObserver((list) => list.getEntries().forEach(callback));
      po.observe({type, buffered: true, ...(extra || {})});
      // The settle probe drains entries not yet delivered (takeRecords), so a candidate or a long task that
      // ended just before it asked is not missed.
      return () => po.takeRecords().forEach(callback);
    } catch (e) {
      return () => {};  // an entry type this browser lacks: that part of the record stays empty
    }
  };
  // The gallery alone can exceed the default buffer of 250 resource entries.
  performance.setResourceTimingBufferSize(2000);

  const observers = {};
  const lcpSeen = () => {
    state.lcpCandidates += 1;
    state.lastLcpCandidateAt = performance.now();
  };
  observers.lcp = observe('largest-contentful-paint', lcpSeen);
  const recentTasks = [];  // [start, duration] of the latest long tasks, kept past MAX_ENTRIES
  observers.longtask = observe('longtask', (e) => {
    recentTasks.push([e.startTime, e.duration]);
    if (recentTasks.length > 50) recentTasks.shift();
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

  // ---- What the page still has to do: timers and chains of animation frames, by rule (docs/probe.md).
  // One-shot timers count while due within HORIZON; a timer set from a timer callback continues its chain,
  // and a chain (like a chain of animation frames) counts until it is HORIZON old, after which it is a
  // periodic or infinite animation and is not waited for. Intervals count until their first tick when their
  // period is at most HORIZON, never when it is longer. Long tasks run by work that is no longer waited for
  // are remembered, so periodic jank does not read as a busy main thread forever.
  const native = {
    setTimeout: window.setTimeout, clearTimeout: window.clearTimeout,
    setInterval: window.setInterval, clearInterval: window.clearInterval,
    requestAnimationFrame: window.requestAnimationFrame, cancelAnimationFrame: window.cancelAnimationFrame,
  };
  const now = () => performance.now();
  const timers = new Map();  // id -> {kind, due, period, chain, ticks}
  const frames = new Map();  // id -> chain
  const periodicSpans = [];  // [start, end] of >= 50 ms callbacks of work no longer waited for
  const sched = {lastFiredAt: 0, timers, frames, periodicSpans};
  state.scheduled = sched;
  let timerChain = null;
  let frameChain = null;
  const run = (fn, self, args, periodic) => {
    const t0 = now();
    try {
      return fn.apply(self, args);
    } finally {
      const t1 = now();
      if (periodic && t1 - t0 >= 50) {
        periodicSpans.push([t0, t1]);
        if (periodicSpans.length > 50) periodicSpans.shift();
      }
      if (!periodic) sched.lastFiredAt = t1;
    }
  };
  // A chain's age decides whether its later links are still waited for; its first link is a plain timer.
  const pastHorizon = (chain, linked) => linked && now() - chain.started > HORIZON;
  window.setTimeout = function (fn, delay, ...args) {
    if (typeof fn !== 'function') return native.setTimeout.call(window, fn, delay, ...args);
    const d = Math.max(0, Number(delay) || 0);
    const linked = timerChain !== null;
    const chain = timerChain || {started: now()};
    let id = 0;
    const wrapped = function () {
      timers.delete(id);
      const saved = timerChain;
      timerChain = chain;
      try {
        return run(fn, this, arguments, pastHorizon(chain, linked));
      } finally {
        timerChain = saved;
      }
    };
    id = native.setTimeout.call(window, wrapped, delay, ...args);
    timers.set(id, {kind: 'timeout', due: now() + d, period: null, chain, linked, ticks: 0});
    return id;
  };
  window.clearTimeout = function (id) {
    timers.delete(id);
    return native.clearTimeout.call(window, id);
  };
  window.setInterval = function (fn, period, ...args) {
    if (typeof fn !== 'function') return native.setInterval.call(window, fn, period, ...args);
    const p = Math.max(0, Number(period) || 0);
    const rec = {kind: 'interval', due: now() + p, period: p, chain: null, ticks: 0};
    const wrapped = function () {
      rec.ticks += 1;
      rec.due = now() + p;
      return run(fn, this, arguments, rec.ticks > 1 || p > HORIZON);
    };
    const id = native.setInterval.call(window, wrapped, period, ...args);
    timers.set(id, rec);
    return id;
  };
  window.clearInterval = function (id) {
    timers.delete(id);
    return native.clearInterval.call(window, id);
  };
  window.requestAnimationFrame = function (fn) {
    if (typeof fn !== 'function') return native.requestAnimationFrame.call(window, fn);
    const linked = frameChain !== null;
    const chain = frameChain || {started: now()};
    let id = 0;
    const wrapped = function () {
      frames.delete(id);
      const saved = frameChain;
      frameChain = chain;
      try {
        return run(fn, this, arguments, pastHorizon(chain, linked));
      } finally {
        frameChain = saved;
      }
    };
    id = native.requestAnimationFrame.call(window, wrapped);
    frames.set(id, chain);
    return id;
  };
  window.cancelAnimationFrame = function (id) {
    frames.delete(id);
    return native.cancelAnimationFrame.call(window, id);
  };

  // What holds the settle wait now (pending, by kind) and what is not waited for by rule (ignored).
  Object.defineProperty(window, '__bigdaySettle', {value: () => {
    observers.lcp();
    observers.longtask();
    const t = now();
    const pending = {timers: 0, frames: 0, animations: 0};
    const ignored = {};
    const skip = (rule) => { ignored[rule] = (ignored[rule] || 0) + 1; };
    for (const rec of timers.values()) {
      if (rec.kind === 'interval') {
        if (rec.period > HORIZON) skip('long-period interval');
        else if (rec.ticks > 0) skip('periodic interval');
        else pending.timers += 1;
      } else if (rec.linked && t - rec.chain.started > HORIZON) skip('timer chain past the horizon');
      else if (rec.due - t > HORIZON) skip('timer due past the horizon');
      else pending.timers += 1;
    }
    for (const chain of new Set(frames.values())) {
      if (t - chain.started > HORIZON) skip('infinite animation (frames)');
      else pending.frames += 1;
    }
    for (const a of (document.getAnimations ? document.getAnimations() : [])) {
      if (a.playState !== 'running' || !a.effect) continue;
      const timing = a.effect.getComputedTiming();
      if (!Number.isFinite(timing.endTime)) skip('infinite animation (CSS)');
      else if (timing.endTime - (timing.localTime || 0) > HORIZON) skip('animation ending past the horizon');
      else pending.animations += 1;
    }
    // The main thread: the end of the last long task not run by work that is no longer waited for.
    let busyUntil = 0;
    for (const [start, duration] of recentTasks) {
      const end = start + duration;
      const periodic = periodicSpans.some(([a, b]) => a >= start - 1 && b <= end + 1);
      if (!periodic && end > busyUntil) busyUntil = end;
    }
    return {pending, ignored, busy_until: busyUntil, last_fired_at: sched.lastFiredAt};
  }});
})();
