// The sink form: only the chosen destination type's fields are shown and sent (the others are disabled).
(function () {
  "use strict";
  function sync() {
    var select = document.querySelector("[data-destination-type]");
    if (!select) return;
    document.querySelectorAll("[data-destination]").forEach(function (fs) {
      var on = fs.getAttribute("data-destination") === select.value;
      fs.hidden = !on;
      fs.disabled = !on;
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var select = document.querySelector("[data-destination-type]");
    if (select) select.addEventListener("change", sync);
    sync();
  });
})();
