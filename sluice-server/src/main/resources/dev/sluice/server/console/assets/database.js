// The database form (/databases/new, /databases/{name}/edit): sends Sequin's shape, where the slot and publication
// are replication_slots[0], and tests the connection with the values on the page before saving.
(function () {
  "use strict";
  var c = window.sluiceConsole;
  var form = document.querySelector("form[data-database-form]");
  if (!form || !c) return;

  // console.js nests "replication_slots.0.slot_name" as an object keyed "0": the API wants a list.
  function body() {
    var b = c.formJson(form);
    var slots = b.replication_slots;
    if (slots && !Array.isArray(slots)) {
      b.replication_slots = Object.keys(slots).sort().map(function (k) { return slots[k]; });
    }
    return b;
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    c.call(form, form, form.getAttribute("data-method"), form.getAttribute("data-url"), body());
  });

  function row(check) {
    var li = document.createElement("li");
    li.setAttribute("data-check", check.status);
    var name = document.createElement("strong");
    name.textContent = check.name + ": ";
    var pill = document.createElement("span");
    pill.className = "pill check-" + check.status;
    pill.textContent = check.status;
    li.appendChild(name);
    li.appendChild(pill);
    li.appendChild(document.createTextNode(" " + check.detail));
    if (check.fix) {
      var fix = document.createElement("div");
      var code = document.createElement("code");
      code.textContent = check.fix;
      fix.appendChild(document.createTextNode("Fix: "));
      fix.appendChild(code);
      li.appendChild(fix);
    }
    return li;
  }

  var button = form.querySelector("[data-test-connection]");
  var out = document.getElementById("test-result");
  button.addEventListener("click", function () {
    c.clearErrors(form);
    out.textContent = "";
    button.setAttribute("aria-busy", "true");
    fetch(form.getAttribute("data-test-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Accept": "application/json", "Content-Type": "application/json", "X-CSRF-Token": c.csrf() },
      body: JSON.stringify(body())
    }).then(function (r) {
      return r.json().then(function (data) { return { status: r.status, data: data }; });
    }).then(function (res) {
      button.removeAttribute("aria-busy");
      var d = res.data || {};
      if (!d.checks) {
        c.showErrors(form, res.status, d);
        return;
      }
      var p = document.createElement("p");
      p.setAttribute("role", "status");
      p.className = d.success ? "ok" : "error";
      p.textContent = d.success ? "Connection test passed." : "Connection test failed: " + d.reason;
      var list = document.createElement("ul");
      list.className = "checks";
      d.checks.forEach(function (ch) { list.appendChild(row(ch)); });
      out.appendChild(p);
      out.appendChild(list);
    }).catch(function (err) {
      button.removeAttribute("aria-busy");
      c.showErrors(form, 0, { summary: "The request failed: " + err.message });
    });
  });
})();
