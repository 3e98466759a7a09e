// Backfills page: the partial-backfill fields are enabled (and sent) only when "Rows from a start value" is chosen.
(function () {
  "use strict";

  function sync() {
    var partial = document.getElementById("bf-partial");
    var box = document.getElementById("bf-partial-fields");
    if (!partial || !box) return;
    box.hidden = !partial.checked;
    box.querySelectorAll("input").forEach(function (el) { el.disabled = !partial.checked; });
    document.getElementById("bf-sort").required = partial.checked;
  }

  document.addEventListener("change", function (e) {
    if (e.target && e.target.name === "rows") sync();
  });
  document.addEventListener("DOMContentLoaded", sync);
})();
