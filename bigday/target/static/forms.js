/* bigday reference app: editors (new-client form, wedding-day timeline). */
(function () {
  "use strict";
  var app = window.bigdayApp;
  var page = app.cfg.page;

  function initNewClient() {
    var form = document.getElementById("new-client-form");
    var name = document.getElementById("couple-name");
    var preview = document.getElementById("preview-couple");
    var hint = document.getElementById("couple-name-hint");

    function update() {
      var v = name.value.trim();
      preview.textContent = v || "Your couple's names";
      var ok = v.length >= 3 && v.indexOf("&") > 0;
      hint.textContent = ok ? "Looks good." : "Write both names, joined by &.";
      name.setAttribute("aria-invalid", v && !ok ? "true" : "false");
    }

    name.addEventListener("input", function () { update(); app.slowHandler(); });
    name.addEventListener("keydown", function (e) {
      if (e.key === "Enter" || e.key === "Escape") {
        if (e.key === "Escape") { name.value = ""; }
        e.preventDefault();
        update();
        app.slowHandler();
      }
    });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      update();
      app.announce("form-status", "Saved a draft for " + (name.value.trim() || "a new couple") + ".");
    });
  }

  function initTimeline() {
    var button = document.getElementById("add-event");
    var list = document.getElementById("timeline-list");
    var time = document.getElementById("event-time");
    var title = document.getElementById("event-title");
    var added = 0;

    button.addEventListener("click", function () {
      added += 1;
      var t = time.value || "20:30";
      var what = title.value.trim() || "New moment";
      var li = document.createElement("li");
      li.className = "timeline-item is-new";
      li.innerHTML = '<span class="timeline-time"></span><span class="timeline-title"></span>';
      li.firstChild.textContent = t;
      li.lastChild.textContent = what + (added > 1 ? " (" + added + ")" : "");
      // Keep the day in order: insert before the first later item.
      var items = list.children, before = null;
      for (var i = 0; i < items.length; i++) {
        if (items[i].firstChild.textContent > t) { before = items[i]; break; }
      }
      list.insertBefore(li, before);
      app.announce("timeline-status", "Added " + what + " at " + t + ". " + list.children.length + " moments.");
      app.slowHandler();
    });
  }

  if (page === "forms") { initNewClient(); }
  else if (page === "timeline") { initTimeline(); }
})();
