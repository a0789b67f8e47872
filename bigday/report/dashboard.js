// bigday's dashboard: builds the sections from the JSON document in #bigday-data and draws the charts with
// ECharts (inlined before this script). Every text from the data is set with textContent, never parsed as
// HTML, and every tooltip is built from escaped text, so names from a scenario cannot become markup.
(() => {
  'use strict';
  const data = JSON.parse(document.getElementById('bigday-data').textContent);
  const app = document.getElementById('app');
  const charts = [];
  window.bigdayCharts = charts;

  const esc = (s) => String(s ?? '').replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
  const num = (v, d = 3) => {
    if (v === null || v === undefined || !Number.isFinite(v)) return 'n/a';
    const m = Math.abs(v);
    if (m >= 10 ** (d - 1)) return Math.round(v).toLocaleString('en-US');
    if (m === 0) return '0';
    const decimals = Math.max(0, d - 1 - Math.floor(Math.log10(m)));
    return String(Number(v.toFixed(decimals)));
  };
  const unitOf = (metric) => (metric === 'cls' ? '' : /score/.test(metric) ? '' : ' ms');
  const el = (tag, attrs, ...children) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else e.setAttribute(k, v);
    }
    for (const c of children) if (c !== null && c !== undefined) e.append(c);
    return e;
  };
  const section = (id, title, intro) => {
    const s = el('section', {id, class: 'section'}, el('h2', {text: title}));
    if (intro) s.append(el('p', {class: 'muted', text: intro}));
    app.append(s);
    return s;
  };
  const table = (headers, rows, statusCol) => {
    const t = el('table');
    t.append(el('tr', {}, ...headers.map((h) => el('th', {text: h}))));
    for (const row of rows) {
      const tr = el('tr');
      row.forEach((cell, i) => {
        const td = el('td', {text: cell === null || cell === undefined ? '' : String(cell)});
        if (i === statusCol && cell) td.className = `status-${cell}`;
        tr.append(td);
      });
      t.append(tr);
    }
    return t;
  };
  const BASE = {animation: false, textStyle: {fontFamily: 'system-ui, sans-serif'}};
  // A chart is drawn when it comes near the screen, and the rest one by one while the browser is idle: the
  // first screen is up in a fraction of the time thirty charts take to draw at once.
  const draw = (entry) => {
    if (entry.chart) return;
    entry.chart = echarts.init(entry.el, null, {renderer: 'canvas'});
    entry.chart.setOption({...BASE, ...entry.option});
    entry.el.dataset.drawn = '1';
  };
  const near = new IntersectionObserver((seen) => seen.forEach((e) => {
    if (e.isIntersecting) { near.unobserve(e.target); draw(charts.find((c) => c.el === e.target)); }
  }), {rootMargin: '200px'});
  const chart = (parent, sectionId, option, height) => {
    const div = el('div', {class: 'chart', 'data-section': sectionId});
    div.style.height = `${height || 260}px`;
    parent.append(div);
    const series = Array.isArray(option.series) ? option.series : option.series ? [option.series] : [];
    const points = series.reduce((n, s) => n + ((s.data || []).length), 0);
    charts.push({section: sectionId, chart: null, option, points, el: div});
    div.dataset.points = String(points);
    near.observe(div);
  };
  const itemTip = (fmt) => ({trigger: 'item', confine: true, formatter: (p) => fmt(p)});
  const phaseAreas = (phases) => phases.map(([name, start, end], i) => [
    {name, xAxis: start, itemStyle: {color: i % 2 ? 'rgba(120,144,156,0.10)' : 'rgba(120,144,156,0.20)'}},
    {xAxis: end},
  ]);

  // ---------------------------------------------------------------- the answer
  const a = data.answer;
  const head = el('header', {class: `answer answer-${a.tone || a.decision.toLowerCase().replace(/[^a-z]/g, '')}`});
  head.append(el('div', {class: 'decision', text: a.decision}), el('div', {class: 'headline', text: a.headline}));
  head.append(el('div', {class: 'muted', text: `${data.title}${data.tenant ? ` · tenant ${data.tenant}` : ''}${a.checks === null ? '' : ` · ${a.checks} checks weighed`}`}));
  app.append(head);
  if (a.reasons.length) {
    const s = section('answer', 'Why', 'Ranked worst first: what failed, what could not be decided, what warned, and what only passed with a caveat.');
    const ol = el('ol', {class: 'reasons'});
    for (const r of a.reasons) {
      ol.append(el('li', {class: `status-${r.status}`}, el('b', {text: `${r.status.toUpperCase()} `}),
        el('span', {text: r.text}), el('span', {class: 'muted', text: ` — against the ${r.against}`})));
    }
    s.append(ol);
    const scored = a.reasons.filter((r) => r.excess !== null && r.excess !== undefined);
    if (scored.length) {
      const labels = scored.map((r) => `${r.rank}. ${r.subject} ${r.metric}`);
      chart(s, 'answer', {
        grid: {left: 200, right: 30, top: 10, bottom: 30},
        tooltip: itemTip((p) => `${esc(labels[p.dataIndex])}<br>${esc(scored[p.dataIndex].text)}`),
        xAxis: {type: 'value', name: 'past its bound (relative)', nameLocation: 'middle', nameGap: 22,
          axisLabel: {formatter: (v) => `${Math.round(v * 100)}%`}},
        yAxis: {type: 'category', data: labels, inverse: true, axisLabel: {width: 190, overflow: 'truncate'}},
        series: [{type: 'bar', data: scored.map((r) => ({value: r.excess, itemStyle: {color: r.status === 'fail' ? '#c62828' : r.status === 'inconclusive' ? '#6a1b9a' : r.status === 'warn' ? '#ef6c00' : '#2e7d32'}})),
          markLine: {symbol: 'none', data: [{xAxis: 0}], lineStyle: {color: '#333'}, label: {formatter: 'bound'}}}],
      }, Math.max(120, 40 + 26 * scored.length));
    }
  }

  // ---------------------------------------------------------------- pages
  if (data.pages.length) {
    const s = section('pages', 'Pages', 'Median, p75 and p95 of the cold runs against each threshold; the chart shows every run (dots), the threshold (red dash) and the baseline median (blue).');
    for (const p of data.pages) {
      const box = el('div', {class: 'page'});
      box.append(el('h3', {text: p.name}), el('div', {class: 'muted', text: `${p.path}${p.tenant ? ` · tenant ${p.tenant}` : ''} · ${p.runs} runs measured`}));
      box.append(table(['metric', 'median', 'p75', 'p95', 'threshold', 'status', 'baseline median', 'n'],
        p.table.map((r) => [r.metric, r.median, r.p75, r.p95, r.bound, r.status, r.baseline, r.n]), 5));
      const d = p.distribution;
      if (d.points.length) {
        chart(box, 'pages', {
          grid: {left: 60, right: 20, top: 30, bottom: 30},
          legend: {top: 0},
          tooltip: itemTip((q) => `${esc(d.metrics[q.value[0]])}: ${esc(num(q.value[1]))} ms` + (q.value[2] ? ` (run ${esc(q.value[2])})` : ` (${esc(q.seriesName)})`)),
          xAxis: {type: 'category', data: d.metrics},
          yAxis: {type: 'value', min: 0, name: 'ms'},
          series: [
            {name: 'runs', type: 'scatter', symbolSize: 8, data: d.points, itemStyle: {color: '#37474f', opacity: 0.75}},
            {name: 'threshold', type: 'scatter', symbol: 'rect', symbolSize: [26, 3], data: d.thresholds.map((x) => [x[0], x[1]]), itemStyle: {color: '#c62828'}},
            {name: 'baseline median', type: 'scatter', symbol: 'rect', symbolSize: [26, 3], data: d.baselines, itemStyle: {color: '#1565c0'}},
          ],
        }, 260);
      }
      const m = p.median_run;
      if (m) {
        const det = el('div', {class: 'median-run'});
        det.append(el('h4', {text: `Median run (run ${m.run_index + 1}, LCP ${num(m.lcp_ms)} ms)`}));
        if (m.lcp) {
          det.append(el('p', {text: `LCP element: ${m.lcp.element || m.lcp.tag || '?'}${m.lcp.url ? ` (${m.lcp.url})` : ''}${m.lcp.size ? `, ${num(m.lcp.size)} px²` : ''}`}));
          if (m.lcp.phases.length) {
            chart(det, 'pages', {
              grid: {left: 60, right: 20, top: 30, bottom: 30}, legend: {top: 0},
              tooltip: itemTip((q) => `${esc(q.seriesName)}: ${esc(num(q.value))} ms`),
              xAxis: {type: 'value', min: 0, name: 'ms'}, yAxis: {type: 'category', data: ['LCP']},
              series: m.lcp.phases.map(([name, v]) => ({name, type: 'bar', stack: 'lcp', data: [v]})),
            }, 110);
          }
        }
        if (m.shift) det.append(el('p', {text: `Largest layout shift: ${num(m.shift.value)} at ${num(m.shift.time)} ms, target ${m.shift.target || '?'}${m.shift.sources.length ? `; moved: ${m.shift.sources.join(', ')}` : ''}`}));
        if (m.long_tasks) {
          det.append(el('p', {text: `${m.long_tasks.length} long task(s), ${num(m.long_tasks.reduce((x, t) => x + (t.blocking || 0), 0))} ms blocking`}));
          det.append(table(['start ms', 'duration ms', 'blocking ms', 'attribution', 'scripts'], m.long_tasks.map((t) => [num(t.start), num(t.duration), num(t.blocking), t.attribution, t.scripts])));
          chart(det, 'pages', {
            grid: {left: 60, right: 20, top: 10, bottom: 30},
            tooltip: itemTip((q) => q.seriesIndex ? `${esc(num(m.long_tasks[q.dataIndex].duration))} ms from ${esc(num(m.long_tasks[q.dataIndex].start))} ms<br>${esc(m.long_tasks[q.dataIndex].attribution)}` : ''),
            xAxis: {type: 'value', min: 0, name: 'ms'},
            yAxis: {type: 'category', data: m.long_tasks.map((_, i) => `task ${i + 1}`), inverse: true},
            series: [
              {type: 'bar', stack: 't', data: m.long_tasks.map((t) => t.start), itemStyle: {color: 'transparent'}, tooltip: {show: false}},
              {type: 'bar', stack: 't', data: m.long_tasks.map((t) => t.duration), itemStyle: {color: '#ef6c00'}},
            ],
          }, Math.max(100, 40 + 20 * m.long_tasks.length));
        }
        if (m.waterfall) {
          det.append(el('p', {class: 'muted', text: `Resource waterfall: ${m.waterfall.length} request(s), start and duration from navigation start.`}));
          const rows = m.waterfall;
          chart(det, 'pages', {
            grid: {left: 230, right: 20, top: 10, bottom: 30},
            tooltip: itemTip((q) => `${esc(rows[q.dataIndex].url)}<br>${esc(rows[q.dataIndex].type)} · ${esc(num(rows[q.dataIndex].duration))} ms · ${esc(num((rows[q.dataIndex].bytes || 0) / 1000))} KB`),
            xAxis: {type: 'value', min: 0, name: 'ms'},
            yAxis: {type: 'category', data: rows.map((r) => r.url), inverse: true, axisLabel: {width: 220, overflow: 'truncate', fontSize: 10}},
            series: [
              {type: 'bar', stack: 'w', data: rows.map((r) => r.start), itemStyle: {color: 'transparent'}, tooltip: {show: false}},
              {type: 'bar', stack: 'w', data: rows.map((r) => ({value: r.duration, itemStyle: {color: {script: '#6a1b9a', stylesheet: '#1565c0', image: '#2e7d32', font: '#ad1457', fetch: '#ef6c00', document: '#37474f'}[r.type] || '#78909c'}}))},
            ],
          }, Math.min(900, 40 + 14 * rows.length));
        }
        box.append(det);
      }
      if (p.filmstrip) {
        const f = p.filmstrip;
        box.append(el('h4', {text: `Filmstrip (run ${f.run_index + 1}${f.speed_index !== null ? `, Speed Index ${num(f.speed_index)} ms` : ''})`}));
        const strip = el('div', {class: 'filmstrip'});
        for (const fr of f.frames) {
          strip.append(el('figure', {}, el('img', {src: fr.src, alt: `frame at ${num(fr.t)} ms`}),
            el('figcaption', {text: `${num(fr.t)} ms${fr.progress !== null ? ` · ${fr.progress}%` : ''}`})));
        }
        box.append(strip);
      }
      if (p.accessibility && p.accessibility.failed.length) {
        const a11y = p.accessibility;
        box.append(el('h4', {text: `Accessibility ${num(a11y.score)}: recommendations (run ${a11y.run_index + 1})`}));
        box.append(table(['audit', 'weight', 'impact', 'nodes', 'where', 'fix'],
          a11y.failed.map((x) => [x.audit, x.weight, x.impact || '', x.nodes, x.selectors.join(', '), x.help || ''])));
      }
      s.append(box);
    }
  }

  // ---------------------------------------------------------------- vitals under load
  if (data.under_load) {
    const u = data.under_load;
    const s = section('under-load', 'Vitals at rest and under the Saturday spike', `The same pages probed during the spike plateau (run ${u.run_id}), judged against the run at rest by the rank test and a bootstrap interval on the median change.${u.note ? ` ${u.note}` : ''}`);
    for (const p of u.pages) {
      s.append(el('h3', {text: p.page}));
      s.append(table(['metric', 'median at rest', 'median under load', 'judged', 'status'], p.rows, 4));
      chart(s, 'under-load', {
        grid: {left: 60, right: 20, top: 30, bottom: 30}, legend: {top: 0},
        tooltip: itemTip((q) => `${esc(q.seriesName)} ${esc(p.metrics[q.value[0]])}: ${esc(num(q.value[1]))}${esc(unitOf(p.metrics[q.value[0]]))}`),
        xAxis: {type: 'category', data: p.metrics}, yAxis: {type: 'value', min: 0, name: 'ms (CLS unitless)'},
        series: [
          {name: 'at rest', type: 'scatter', data: p.at_rest.map(([i, v]) => [i - 0.12, v]), symbolSize: 8, itemStyle: {color: '#1565c0'}},
          {name: 'under load', type: 'scatter', data: p.under_load.map(([i, v]) => [i + 0.12, v]), symbolSize: 8, itemStyle: {color: '#c62828'}},
        ],
      }, 240);
    }
  }

  // ---------------------------------------------------------------- trends
  if (data.trends) {
    const tr = data.trends;
    const s = section('trends', `Trends: daily p75 and p95, last ${tr.days} days`, 'Solid: p75; dashed: p95. Red dashes: thresholds; vertical lines: change points; pins: alerts; shaded: maintenance windows.');
    const buttons = el('div', {class: 'buttons'});
    const trendCharts = [];
    for (const days of [30, 90]) {
      const b = el('button', {type: 'button', text: `last ${days} days`});
      b.addEventListener('click', () => {
        const from = new Date(tr.until); from.setUTCDate(from.getUTCDate() - days + 1);
        for (const c of trendCharts) c.setOption({xAxis: {min: from.toISOString().slice(0, 10)}});
      });
      buttons.append(b);
    }
    s.append(buttons);
    for (const m of tr.metrics) {
      s.append(el('h3', {text: m.metric}));
      const series = [];
      m.series.forEach((ser) => {
        const cps = m.change_points.filter((c) => c[0] === ser.page);
        const pins = m.alerts.filter((al) => al[0] === ser.page);
        const byDay = Object.fromEntries(ser.p75);
        series.push({
          name: `${ser.page} p75`, type: 'line', showSymbol: true, symbolSize: 4, data: ser.p75,
          markLine: cps.length ? {symbol: 'none', data: cps.map((c) => ({xAxis: c[1], label: {formatter: `${c[2]}`}, lineStyle: {color: c[3] ? '#c62828' : '#2e7d32'}}))} : undefined,
          markPoint: pins.length ? {symbol: 'pin', symbolSize: 30, data: pins.map((al) => ({coord: [al[1], byDay[al[1]] ?? 0], value: al[2]}))} : undefined,
        });
        series.push({name: `${ser.page} p95`, type: 'line', showSymbol: false, lineStyle: {type: 'dashed'}, data: ser.p95});
      });
      if (m.thresholds.length && series.length) {
        series[0].markLine = series[0].markLine || {symbol: 'none', data: []};
        for (const [agg, bound, level] of m.thresholds) series[0].markLine.data.push({yAxis: bound, label: {formatter: `${agg} ${level} ${num(bound)}`}, lineStyle: {color: '#c62828', type: 'dashed'}});
      }
      // Maintenance windows shade the span of every chart they touch (checks went on; alerts were muted).
      const windows = (m.maintenance || []).map((w) => [{xAxis: w[0], name: w[3]}, {xAxis: w[1]}]);
      if (windows.length && series.length) series[0].markArea = {silent: true, itemStyle: {color: 'rgba(255, 193, 7, 0.18)'}, label: {position: 'insideTop', fontSize: 10}, data: windows};
      trendCharts.push(chart(s, 'trends', {
        grid: {left: 60, right: 30, top: 40, bottom: 30}, legend: {top: 0, type: 'scroll'},
        tooltip: {trigger: 'axis', confine: true, formatter: (ps) => ps.map((q) => `${esc(q.seriesName)}: ${esc(num(q.value[1]))}`).join('<br>')},
        xAxis: {type: 'time'}, yAxis: {type: 'value', min: 0, name: m.unit}, series,
      }, 260));
    }
  }

  // ---------------------------------------------------------------- load
  for (const l of data.load) {
    const s = section(`load-${l.rehearsal}`, `Load: ${l.rehearsal} (run ${l.run_id})`, 'Shaded bands are the phases.');
    if (l.locust_report) s.append(el('p', {}, el('a', {href: l.locust_report, text: 'Locust\'s own report of this run'})));
    const areas = phaseAreas(l.phases);
    if (l.timeline && l.timeline.t.length) {
      const tl = l.timeline;
      chart(s, `load-${l.rehearsal}`, {
        grid: {left: 60, right: 60, top: 40, bottom: 30}, legend: {top: 0},
        tooltip: {trigger: 'axis', confine: true, formatter: (ps) => ps.map((q) => `${esc(q.seriesName)}: ${esc(num(q.value[1]))}`).join('<br>')},
        xAxis: {type: 'value', min: 0, name: 's'},
        yAxis: [{type: 'value', min: 0, name: 'users'}, {type: 'value', min: 0, name: 'requests/s'}],
        series: [
          {name: 'users', type: 'line', showSymbol: false, data: tl.t.map((t, i) => [t, tl.users[i]]), markArea: {silent: true, label: {position: 'insideTop', fontSize: 10}, data: areas}},
          {name: 'requests/s', type: 'line', showSymbol: false, yAxisIndex: 1, data: tl.t.map((t, i) => [t, tl.rps[i]])},
          {name: 'failures/s', type: 'line', showSymbol: false, yAxisIndex: 1, data: tl.t.map((t, i) => [t, tl.fail_rps[i]]), lineStyle: {color: '#c62828'}},
        ],
      }, 260);
    }
    const tenants = Object.entries(l.tenants);
    if (tenants.length) {
      const series = [];
      tenants.forEach(([tenant, ts], k) => {
        series.push({name: `${tenant} p95`, type: 'line', showSymbol: false, data: ts.t.map((t, i) => [t, ts.p95[i]]), markArea: k === 0 ? {silent: true, label: {position: 'insideTop', fontSize: 10}, data: areas} : undefined});
        series.push({name: `${tenant} errors/s`, type: 'bar', yAxisIndex: 1, data: ts.t.map((t, i) => [t, ts.errors[i]]), itemStyle: {color: '#c62828'}});
      });
      chart(s, `load-${l.rehearsal}`, {
        grid: {left: 60, right: 60, top: 40, bottom: 30}, legend: {top: 0, type: 'scroll'},
        tooltip: {trigger: 'axis', confine: true, formatter: (ps) => ps.map((q) => `${esc(q.seriesName)}: ${esc(num(q.value[1]))}`).join('<br>')},
        xAxis: {type: 'value', min: 0, name: 's'},
        yAxis: [{type: 'value', min: 0, name: 'p95 ms'}, {type: 'value', min: 0, name: 'errors/s'}], series,
      }, 260);
    }
    if (l.table.length) s.append(table(['tenant', 'phase', 'requests', 'requests/s', 'p95', 'p99', 'errors'], l.table));
  }

  // ---------------------------------------------------------------- capacity search
  if (data.capacity) {
    const c = data.capacity;
    const s = section('capacity', `Capacity: plateau p95 and errors against the load (${c.unit})`,
      `One Saturday rehearsal per level, its held plateau judged against the p95 SLA (red dash) and the error bound (orange dash); the shaded band is the bracket between the last level that held and the first that broke. Stopped: ${c.stopped}.`);
    const color = (st) => (st === 'pass' ? '#2e7d32' : st === 'fail' ? '#c62828' : '#6a1b9a');
    const at = (k) => c.steps.filter((r) => r[k] !== null && r[k] !== undefined).map((r) => [r[0], r[k], r[2]]);
    const bracket = c.holds !== null && c.breaks !== null
      ? {silent: true, itemStyle: {color: 'rgba(198,40,40,0.08)'}, data: [[{xAxis: c.holds}, {xAxis: c.breaks}]]} : undefined;
    chart(s, 'capacity', {
      grid: {left: 60, right: 60, top: 40, bottom: 40}, legend: {top: 0},
      tooltip: {trigger: 'axis', confine: true, formatter: (ps) => `${esc(num(ps[0].value[0]))} ${esc(c.unit)}<br>` + ps.map((q) => `${esc(q.seriesName)}: ${esc(num(q.value[1]))}${q.seriesName === 'errors' ? '%' : ' ms'}`).join('<br>')},
      xAxis: {type: 'value', min: 0, name: c.unit, nameLocation: 'middle', nameGap: 26},
      yAxis: [{type: 'value', min: 0, name: 'plateau ms'}, {type: 'value', min: 0, name: 'errors %'}],
      series: [
        {name: 'p95', type: 'line', data: at(3).map(([x, y, st]) => ({value: [x, y], itemStyle: {color: color(st)}})), symbolSize: 9, lineStyle: {color: '#1565c0'},
          markLine: {symbol: 'none', data: [{yAxis: c.p95_sla_ms, label: {formatter: 'p95 SLA'}}], lineStyle: {color: '#c62828', type: 'dashed'}}, markArea: bracket},
        {name: 'p99', type: 'line', data: at(4).map(([x, y]) => [x, y]), lineStyle: {type: 'dotted', color: '#1565c0'}, symbol: 'none'},
        {name: 'errors', type: 'line', yAxisIndex: 1, data: at(5).map(([x, y]) => [x, y]), lineStyle: {color: '#ef6c00'}, itemStyle: {color: '#ef6c00'},
          markLine: {symbol: 'none', data: [{yAxis: c.max_error_pct, label: {formatter: 'error bound'}}], lineStyle: {color: '#ef6c00', type: 'dashed'}}},
      ],
    }, 300);
    const ms = (v) => (v === null || v === undefined ? '-' : `${num(v)} ms`);
    s.append(table([c.unit === 'users' ? 'users' : 'tasks/s (users)', 'plateau', 'p95', 'p99', 'errors', 'requests/s', 'run', 'tried'],
      c.steps.map((r) => [c.unit === 'users' ? num(r[0]) : `${num(r[0])} (${r[1]})`, r[2], ms(r[3]), ms(r[4]),
        r[5] === null ? '-' : `${num(r[5])}%`, r[6] === null ? '-' : num(r[6]), r[7], `step ${c.order.indexOf(r[7]) + 1}${r[8] ? ` (measured twice, first ${r[8]})` : ''}${r[9] ? ` (re-measure of ${r[9]})` : ''}`]), 1));
  }

  // ---------------------------------------------------------------- isolation
  if (data.isolation) {
    const iso = data.isolation;
    const s = section('isolation', `Tenant isolation: ${iso.status.toUpperCase()}${iso.trustworthy ? '' : ' (not trustworthy)'}`);
    s.append(el('p', {class: `status-${iso.status}`, text: iso.text}));
    if (iso.phases.length) {
      const lines = [];
      if (iso.tolerated) lines.push({yAxis: iso.tolerated, label: {formatter: 'alone × tolerance'}, lineStyle: {color: '#c62828', type: 'dashed'}});
      if (iso.min_effect_line) lines.push({yAxis: iso.min_effect_line, label: {formatter: 'alone + minimum effect'}, lineStyle: {color: '#ef6c00', type: 'dotted'}});
      chart(s, 'isolation', {
        grid: {left: 60, right: 150, top: 20, bottom: 30},
        tooltip: itemTip((q) => `${esc(iso.phases[q.dataIndex][0])}: p95 ${esc(num(q.value))} ms (n ${esc(iso.phases[q.dataIndex][2])})`),
        xAxis: {type: 'category', data: iso.phases.map((p) => p[0])}, yAxis: {type: 'value', min: 0, name: `${iso.victim} p95 ms`},
        series: [{type: 'bar', data: iso.phases.map((p) => p[1]), itemStyle: {color: '#1565c0'}, markLine: lines.length ? {symbol: 'none', data: lines} : undefined}],
      }, 240);
    }
    const det = el('details', {}, el('summary', {text: 'Every figure of the verdict'}));
    det.append(table(['field', 'value'], iso.fields));
    s.append(det);
  }

  // ---------------------------------------------------------------- recommendations
  if (data.recommendations && data.recommendations.length) {
    const s = section('recommendations', `Recommendations (${data.recommendations.length})`,
      'From the runs\' resources, headers, coverage, long tasks and vitals; one line per finding, with the runs it was seen in.');
    s.append(table(['priority', 'page', 'what to do', 'names', 'saves', 'seen', 'evidence'], data.recommendations));
  }

  // ---------------------------------------------------------------- alerts, history, environment
  if (data.alerts) {
    const s = section('alerts', 'Alerts');
    if (data.alerts.run.length) { s.append(el('h3', {text: 'Raised by this run'})); s.append(table(['#', 'severity', 'type', 'page', 'metric', 'actual', 'threshold', 'state'], data.alerts.run)); }
    if (data.alerts.open.length) { s.append(el('h3', {text: 'Open in the store'})); s.append(table(['#', 'severity', 'type', 'page', 'metric', 'actual', 'threshold', 'state', 'last seen'], data.alerts.open)); }
  }
  if (data.history_runs.length) {
    const s = section('runs', 'Latest runs');
    s.append(table(['run', 'kind', 'started', 'verdict', 'branch', 'sha'], data.history_runs));
  }
  if (data.notes.length) {
    const s = section('notes', 'Notes');
    s.append(el('ul', {}, ...data.notes.map((n) => el('li', {text: n}))));
  }
  const env = section('environment', 'Environment');
  env.append(table(['', ''], data.environment));

  window.addEventListener('resize', () => charts.forEach((c) => c.chart && c.chart.resize()));
  // ECharts paints on the next animation frame. "rendered": the charts on the first screen are painted;
  // "allRendered": every chart is (drawn in idle time, or at once when it is scrolled to).
  const idle = window.requestIdleCallback || ((f) => setTimeout(() => f({timeRemaining: () => 8}), 1));
  const painted = (key) => requestAnimationFrame(() => requestAnimationFrame(() => {
    document.body.dataset[key] = String(charts.filter((c) => c.chart).length);
  }));
  const rest = (deadline) => {
    let next = charts.find((c) => !c.chart);
    while (next && deadline.timeRemaining() > 4) { draw(next); next = charts.find((c) => !c.chart); }
    if (next) idle(rest); else painted('allRendered');
  };
  const onScreen = (c) => c.el.getBoundingClientRect().top < window.innerHeight + 200;
  charts.filter(onScreen).forEach(draw);
  painted('rendered');
  idle(rest);
})();
