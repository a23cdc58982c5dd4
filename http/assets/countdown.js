// Live SLA clocks. The server renders each running clock as an element
// with data-due (and data-warn) holding RFC 3339 instants, and writes the
// business time left when the page is made ("2 business hours left").
// Business time only runs while the SLA calendar is open, which this
// script does not know, so it never counts the text down by the wall
// clock: it only turns a clock to warning and to overdue when those
// instants pass, which are exact. A clock's state label (.clock-state)
// and its text (.clock-left, or the element itself on a list) follow.
// No inline script: the Content-Security-Policy forbids it.
(function () {
  "use strict";

  var labels = { "sla-ok": "running", "sla-warning": "warning", "sla-breached": "breached" };

  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-due]").forEach(function (el) {
      var due = Date.parse(el.getAttribute("data-due"));
      if (isNaN(due)) {
        return;
      }
      var warn = Date.parse(el.getAttribute("data-warn") || "");
      var state = "sla-ok";
      if (now >= due) {
        state = "sla-breached";
      } else if (!isNaN(warn) && now >= warn) {
        state = "sla-warning";
      }
      Object.keys(labels).forEach(function (s) {
        el.classList.toggle(s, s === state);
      });
      var label = el.querySelector(".clock-state");
      if (label) {
        label.textContent = labels[state];
      }
      var text = el.querySelector(".clock-left") || el;
      if (state === "sla-breached" && text.textContent.indexOf("overdue") !== 0) {
        text.textContent = "overdue";
      }
      el.setAttribute("data-ticked", String(now));
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", tick);
  } else {
    tick();
  }
  // htmx swaps pages in without loading them: check the new clocks at once.
  document.addEventListener("htmx:afterSettle", tick);
  window.setInterval(tick, 30000);
})();
