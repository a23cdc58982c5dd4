// Live SLA countdowns. The server renders each running clock as
// <time data-due="RFC 3339" data-warn="RFC 3339"> with its text at the time
// of the request; this script rewrites the text every 30 seconds ("2h 13m
// left", "overdue 35m") and moves the element's class to sla-warning or
// sla-breached when those instants pass. It writes the same text as the
// server (durationText in http/ui_ticket.go). No inline script: the
// Content-Security-Policy forbids it.
(function () {
  "use strict";

  var states = ["sla-ok", "sla-warning", "sla-breached"];

  function durationText(ms) {
    var m = Math.floor(ms / 60000);
    if (m < 60) {
      return m + "m";
    }
    if (m < 24 * 60) {
      return Math.floor(m / 60) + "h " + (m % 60) + "m";
    }
    return Math.floor(m / (24 * 60)) + "d " + Math.floor((m % (24 * 60)) / 60) + "h";
  }

  function setState(el, state) {
    states.forEach(function (s) {
      el.classList.toggle(s, s === state);
    });
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("time[data-due]").forEach(function (el) {
      var due = Date.parse(el.getAttribute("data-due"));
      if (isNaN(due)) {
        return;
      }
      var warn = Date.parse(el.getAttribute("data-warn") || "");
      var left = due - now;
      if (left > 0) {
        el.textContent = durationText(left) + " left";
        setState(el, !isNaN(warn) && now >= warn ? "sla-warning" : "sla-ok");
      } else {
        el.textContent = "overdue " + durationText(-left);
        setState(el, "sla-breached");
      }
      el.setAttribute("data-ticked", String(now));
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", tick);
  } else {
    tick();
  }
  // htmx swaps pages in without loading them: refresh the new clocks at once.
  document.addEventListener("htmx:afterSettle", tick);
  window.setInterval(tick, 30000);
})();
