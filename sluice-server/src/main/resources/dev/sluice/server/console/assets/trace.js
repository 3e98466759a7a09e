// Sluice console, a sink's live trace: Start opens the server-sent event stream (the server watches the sink only
// while it is open), Stop closes it. Each event is one delivery, rendered and escaped by the server; newest first,
// at most data-keep of them kept.
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    var list = document.getElementById("trace-list");
    if (!list) return;
    var start = document.getElementById("trace-start");
    var stop = document.getElementById("trace-stop");
    var clear = document.getElementById("trace-clear");
    var state = document.getElementById("trace-state");
    var empty = document.getElementById("trace-empty");
    var keep = Number(list.getAttribute("data-keep")) || 100;
    var source = null;

    function running(on, text) {
      start.disabled = on;
      stop.disabled = !on;
      state.textContent = text;
    }

    start.addEventListener("click", function () {
      if (source) return;
      source = new EventSource(list.getAttribute("data-events"));
      running(true, "Connecting…");
      source.addEventListener("open", function () {
        running(true, "Watching: deliveries appear here as they end.");
      });
      source.addEventListener("error", function () {
        if (source && source.readyState === EventSource.CLOSED) {
          source = null;
          running(false, "The stream ended; start again to go on watching.");
        } else if (source) {
          state.textContent = "Reconnecting…";
        }
      });
      source.addEventListener("trace", function (e) {
        list.insertAdjacentHTML("afterbegin", e.data);
        while (list.children.length > keep) list.removeChild(list.lastElementChild);
        empty.hidden = true;
      });
    });

    stop.addEventListener("click", function () {
      if (source) source.close();
      source = null;
      running(false, "Stopped.");
    });

    clear.addEventListener("click", function () {
      list.textContent = "";
      empty.hidden = false;
    });

    window.addEventListener("pagehide", function () {
      if (source) source.close();
    });
  });
})();
