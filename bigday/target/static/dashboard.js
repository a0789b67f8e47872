/* bigday reference app: data views (dashboard stats, virtualised client list, photo gallery). */
(function () {
  "use strict";
  var app = window.bigdayApp;
  var page = app.cfg.page;

  function initDashboard() {
    var button = document.getElementById("refresh-stats");
    var dataEl = document.getElementById("dashboard-data");
    var data = JSON.parse(dataEl.textContent);
    var round = 0;
    button.addEventListener("click", function () {
      round += 1;
      // Recompute the figures and redraw the chart: real DOM work that must paint.
      var cards = document.querySelectorAll("[data-stat]");
      for (var i = 0; i < cards.length; i++) {
        var key = cards[i].getAttribute("data-stat");
        var base = data.stats[key] || 0;
        cards[i].textContent = app.number(base + ((round * 7 + i * 3) % 5));
      }
      var bars = document.querySelectorAll("#bookings-chart rect");
      var max = 1;
      var values = data.months.map(function (m, j) { return m[1] + ((round + j) % 4); });
      values.forEach(function (v) { if (v > max) { max = v; } });
      for (var j = 0; j < bars.length; j++) {
        var h = Math.round((values[j] / max) * 140);
        bars[j].setAttribute("height", String(h));
        bars[j].setAttribute("y", String(150 - h));
      }
      app.announce("refresh-status", "Figures refreshed (" + round + ")");
      app.slowHandler();
    });
  }

  function initClients() {
    var ROW = 48, OVERSCAN = 6;
    var scroller = document.getElementById("client-scroller");
    var spacer = document.getElementById("client-spacer");
    var list = document.getElementById("client-list");
    var count = document.getElementById("client-count");
    var search = document.getElementById("client-search");
    var all = [], rows = [];

    function render() {
      var first = Math.max(0, Math.floor(scroller.scrollTop / ROW) - OVERSCAN);
      var visible = Math.ceil(scroller.clientHeight / ROW) + 2 * OVERSCAN;
      var last = Math.min(rows.length, first + visible);
      var html = [];
      for (var i = first; i < last; i++) {
        var c = rows[i];
        html.push('<li class="client-row"><span class="client-couple">' + esc(c.couple) +
          '</span><span class="client-date">' + c.wedding_date + '</span><span class="client-venue">' +
          esc(c.venue) + '</span><span class="client-status status-' + c.status + '">' + c.status + "</span></li>");
      }
      spacer.style.height = rows.length * ROW + "px";
      // A transform, not `top`: scrolling the virtual window is never a layout shift.
      list.style.transform = "translateY(" + first * ROW + "px)";
      list.innerHTML = html.join("");
    }

    function esc(s) {
      return String(s).replace(/[&<>"]/g, function (ch) {
        return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[ch];
      });
    }

    function filter() {
      var q = search.value.trim().toLowerCase();
      rows = q ? all.filter(function (c) {
        return c.couple.toLowerCase().indexOf(q) >= 0 || c.venue.toLowerCase().indexOf(q) >= 0;
      }) : all;
      scroller.scrollTop = 0;
      render();
      count.textContent = app.number(rows.length) + " of " + app.number(all.length) + " clients";
    }

    scroller.addEventListener("scroll", function () { window.requestAnimationFrame(render); });
    search.addEventListener("input", function () { filter(); app.slowHandler(); });
    search.addEventListener("keydown", function (e) {
      // Keys that type text are handled by `input`; these are the ones that do not.
      if (e.key === "Escape") { search.value = ""; filter(); app.slowHandler(); }
      else if (e.key === "Enter") { e.preventDefault(); filter(); app.slowHandler(); }
    });

    app.api("/api/clients", "limit=100000").then(function (body) {
      all = body.clients;
      filter();
    }).catch(function (err) { count.textContent = "Could not load clients: " + err.message; });
  }

  function initGallery() {
    var button = document.getElementById("select-all");
    var selected = false;
    button.addEventListener("click", function () {
      selected = !selected;
      var cards = document.querySelectorAll(".photo-card");
      for (var i = 0; i < cards.length; i++) {
        cards[i].classList.toggle("is-selected", selected);
        cards[i].setAttribute("data-selected", selected ? "true" : "false");
      }
      button.textContent = selected ? "Clear selection" : "Select all";
      button.setAttribute("aria-pressed", selected ? "true" : "false");
      app.announce("selection-status", (selected ? cards.length : 0) + " photos selected");
      app.slowHandler();
    });
  }

  if (page === "dashboard") { initDashboard(); }
  else if (page === "clients") { initClients(); }
  else if (page === "gallery") { initGallery(); }
})();
