// The configuration page: renders a plan's changes, a new API token and a new webhook secret. Text only (no HTML
// from the server's answer is ever parsed).
(function () {
  "use strict";
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text != null) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }
  function value(v) {
    return v === undefined ? "(none)" : JSON.stringify(v);
  }
  window.sluiceRenderers = window.sluiceRenderers || {};
  window.sluiceRenderers.plan = function (data, into) {
    var changes = (data && data.changes) || [];
    into.appendChild(el("h3", changes.length === 0 ? "No changes: the server already runs this configuration."
      : changes.length + (changes.length === 1 ? " change" : " changes")));
    var list = el("ul");
    changes.forEach(function (c) {
      var item = el("li", null, "plan-change plan-" + c.action);
      item.appendChild(el("strong", c.action + " " + c.resource_type + " " + (c.name || "")));
      var fields = c.changed_fields || [];
      if (c.action === "update" && fields.length) {
        var sub = el("ul");
        fields.forEach(function (f) {
          var o = c.old ? c.old[f] : undefined;
          var n = c["new"] ? c["new"][f] : undefined;
          sub.appendChild(el("li", f + ": " + value(o) + " → " + value(n)));
        });
        item.appendChild(sub);
      }
      list.appendChild(item);
    });
    into.appendChild(list);
    (data.actions || []).forEach(function (a) {
      into.appendChild(el("p", "Then: " + (typeof a === "string" ? a : JSON.stringify(a))));
    });
  };
  window.sluiceRenderers.yaml = function (data, into) {
    into.textContent = data && data.yaml != null ? data.yaml : JSON.stringify(data, null, 2);
  };
  window.sluiceRenderers.token = function (data, into) {
    into.appendChild(el("p", "API key " + data.name + " created. Its token, shown only now; store it:"));
    into.appendChild(el("pre", data.token, "json"));
  };
  window.sluiceRenderers.secret = function (data, into) {
    into.appendChild(el("p", "Webhook " + data.name + " added. Its signing secret, shown only now:"));
    into.appendChild(el("pre", data.secret || JSON.stringify(data, null, 2), "json"));
  };
})();
