// Messages page: "Show it as the transform makes it" runs the sink's transform on a stored message through
// POST /api/functions/test (nothing is delivered) and shows the output, or the function's error, under it.
(function () {
  "use strict";

  function show(out, text, failed) {
    out.textContent = text;
    out.classList.toggle("error", !!failed);
    out.hidden = false;
  }

  document.addEventListener("click", function (e) {
    var btn = e.target.closest ? e.target.closest("button[data-run-transform]") : null;
    if (!btn) return;
    e.preventDefault();
    var out = document.getElementById(btn.getAttribute("data-out"));
    var message;
    try {
      message = JSON.parse(document.getElementById(btn.getAttribute("data-message")).textContent);
    } catch (err) {
      show(out, "The stored message is not JSON: " + err.message, true);
      return;
    }
    var body = { "function": btn.getAttribute("data-run-transform"), sink: btn.getAttribute("data-sink"),
      messages: [message] };
    btn.setAttribute("aria-busy", "true");
    fetch("/api/functions/test", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json",
        "X-CSRF-Token": window.sluiceConsole.csrf() },
      body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().then(function (d) { return { ok: r.ok, status: r.status, data: d }; });
    }).then(function (res) {
      btn.removeAttribute("aria-busy");
      if (!res.ok) {
        show(out, (res.data && res.data.summary) || ("The server answered " + res.status + "."), true);
        return;
      }
      var result = res.data.results[0];
      if (result.error) {
        var where = result.error.line ? " (line " + result.error.line + ", column " + result.error.column + ")" : "";
        show(out, "The transform failed" + where + ": " + result.error.message, true);
      } else {
        show(out, JSON.stringify(result.output, null, 2), false);
      }
    }).catch(function (err) {
      btn.removeAttribute("aria-busy");
      show(out, "The request failed: " + err.message, true);
    });
  });
})();
