// The bell's live count. The server renders the unread count in the
// frame (#bell-count, hidden at zero); this script opens the event stream
// the bell names (data-stream) and, on each "unread" event, writes the
// count into the bell, its label, and the page title ("(3) Tickets ·
// Tandem"). htmx swaps the body on navigation, so the bell is looked up
// each time and the title prefixed again after each swap. The stream
// sends "end" when the session has ended or the server stops: then it is
// closed, not retried, and the next navigation opens it again.
// No inline script: the Content-Security-Policy forbids it.
(function () {
  "use strict";

  var count = null;
  var source = null;

  function bareTitle() {
    return document.title.replace(/^\(\d+\) /, "");
  }

  function show() {
    var bell = document.getElementById("bell");
    if (!bell || count === null) {
      return;
    }
    var badge = document.getElementById("bell-count");
    if (badge) {
      badge.textContent = String(count);
      badge.hidden = count === 0;
    }
    bell.setAttribute("aria-label", count === 0 ? "Notifications" : "Notifications, " + count + " unread");
    document.title = (count === 0 ? "" : "(" + count + ") ") + bareTitle();
  }

  function open() {
    var bell = document.getElementById("bell");
    if (!bell || !window.EventSource) {
      return;
    }
    var badge = document.getElementById("bell-count");
    count = badge ? parseInt(badge.textContent, 10) || 0 : 0;
    show();
    source = new EventSource(bell.getAttribute("data-stream"));
    source.addEventListener("unread", function (e) {
      var n = parseInt(e.data, 10);
      if (!isNaN(n)) {
        count = n;
        show();
      }
    });
    source.addEventListener("end", function () {
      source.close();
    });
  }

  function start() {
    open();
    // After a navigation the new page's bell shows the count it was
    // rendered with; a live stream's is as new or newer, and a closed
    // stream is opened again.
    document.addEventListener("htmx:afterSettle", function () {
      if (!source || source.readyState === EventSource.CLOSED) {
        open();
      } else {
        show();
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
