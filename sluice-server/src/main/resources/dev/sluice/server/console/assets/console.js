// Sluice console: the few behaviours the server-rendered pages need. No inline script anywhere (the
// Content-Security-Policy forbids it); everything is wired here from data- attributes.
//
//   form[data-api="/api/..."]   sends the form as JSON to the API (data-method, default POST); fields named a.b
//                               nest, data-type="number|boolean|json|list" converts, empty optional fields are left out
//   button[data-api]            sends data-body (JSON text, default {}) the same way, or with data-form-body="#form"
//                               that form's JSON; data-confirm asks first
//   input[type=checkbox][data-set]  checked boxes of one name make a list of their values
//   data-then                   after success: "reload", "go:/path/{field}" (filled from the response), or
//                               "show:#id" (the response, pretty, into that element), or "render:name #id"
//                               (window.sluiceRenderers[name](response, element), from a page's own script)
//   [data-chart="/url"]         a uPlot chart of the JSON series at that URL, refreshed every two seconds
(function () {
  "use strict";

  function csrf() {
    var m = document.querySelector('meta[name="csrf-token"]');
    return m ? m.getAttribute("content") : "";
  }

  document.addEventListener("htmx:configRequest", function (e) {
    e.detail.headers["X-CSRF-Token"] = csrf();
  });

  function setPath(obj, path, value) {
    var parts = path.split(".");
    var o = obj;
    for (var i = 0; i < parts.length - 1; i++) {
      if (typeof o[parts[i]] !== "object" || o[parts[i]] === null) o[parts[i]] = {};
      o = o[parts[i]];
    }
    o[parts[parts.length - 1]] = value;
  }

  function fieldValue(el) {
    var type = el.getAttribute("data-type");
    if (el.type === "checkbox") return el.checked;
    if (el.tagName === "SELECT" && el.multiple) {
      return Array.prototype.filter.call(el.options, function (o) { return o.selected; })
        .map(function (o) { return o.value; });
    }
    var v = el.value;
    if (v === "" && !el.hasAttribute("data-keep-empty")) return undefined;
    if (type === "number") return Number(v);
    if (type === "boolean") return v === "true";
    if (type === "list") return v.split(",").map(function (s) { return s.trim(); }).filter(Boolean);
    if (type === "json") return JSON.parse(v);
    return v;
  }

  function formJson(form) {
    var body = {};
    var sets = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.matches(":disabled") || el.name === "csrf" || el.hasAttribute("data-local")) return;
      if (el.type === "radio" && !el.checked) return;
      if (el.type === "checkbox" && el.hasAttribute("data-set")) {
        if (!sets[el.name]) { sets[el.name] = []; setPath(body, el.name, sets[el.name]); }
        if (el.checked) sets[el.name].push(el.value);
        return;
      }
      var v;
      try {
        v = fieldValue(el);
      } catch (err) {
        throw { field: el.name, message: "not valid JSON: " + err.message };
      }
      if (v !== undefined) setPath(body, el.name, v);
    });
    return body;
  }

  // The scope's own message box (a direct child; a form nested in the scope has its own).
  function alertBox(scope) {
    var box = scope.querySelector(":scope > [data-errors]");
    if (!box) {
      box = document.createElement("p");
      box.setAttribute("data-errors", "");
      scope.insertBefore(box, scope.firstChild);
    }
    box.setAttribute("role", "alert");
    return box;
  }

  function clearErrors(scope) {
    scope.querySelectorAll(".field-error").forEach(function (e) { e.remove(); });
    scope.querySelectorAll("[aria-invalid]").forEach(function (e) { e.removeAttribute("aria-invalid"); });
    var box = scope.querySelector(":scope > [data-errors]");
    if (box) { box.textContent = ""; box.className = ""; }
  }

  function showErrors(scope, status, body) {
    var box = alertBox(scope);
    box.className = "error";
    box.textContent = (body && body.summary) ? body.summary : ("The server answered " + status + ".");
    var fields = body && body.validation_errors;
    if (fields && typeof fields === "object") {
      Object.keys(fields).forEach(function (name) {
        var el = scope.querySelector('[name="' + CSS.escape(name) + '"]') ||
          scope.querySelector('[name$=".' + CSS.escape(name) + '"]');
        var text = [].concat(fields[name]).join("; ");
        if (el) {
          el.setAttribute("aria-invalid", "true");
          var small = document.createElement("small");
          small.className = "field-error";
          small.id = "err-" + name.replace(/[^a-zA-Z0-9_-]/g, "-");
          small.textContent = text;
          el.setAttribute("aria-describedby", small.id);
          el.insertAdjacentElement("afterend", small);
        } else {
          box.textContent += " " + name + ": " + text + ".";
        }
      });
    }
  }

  function fill(template, data) {
    return template.replace(/\{([a-z_]+)\}/g, function (_, k) {
      return encodeURIComponent(data && data[k] != null ? data[k] : "");
    });
  }

  function after(el, scope, data) {
    var then = el.getAttribute("data-then") || "reload";
    if (then === "reload") {
      window.location.reload();
    } else if (then.indexOf("go:") === 0) {
      window.location.assign(fill(then.substring(3), data));
    } else if (then.indexOf("render:") === 0) {
      var parts = then.substring(7).split(" ");
      var fn = window.sluiceRenderers && window.sluiceRenderers[parts[0]];
      var into = document.querySelector(parts[1]);
      if (fn && into) { into.textContent = ""; fn(data, into); into.hidden = false; }
    } else if (then.indexOf("show:") === 0) {
      var target = document.querySelector(then.substring(5));
      var done = el.getAttribute("data-done");
      if (target) {
        target.textContent = done ? done : typeof data === "string" ? data : JSON.stringify(data, null, 2);
        target.className = done ? "ok" : "";
        target.hidden = false;
      }
    }
  }

  function call(el, scope, method, url, body) {
    clearErrors(scope);
    var busy = el.tagName === "FORM" ? el.querySelector('[type="submit"]') : el;
    if (busy) busy.setAttribute("aria-busy", "true");
    var headers = { "Accept": "application/json", "X-CSRF-Token": csrf() };
    var init = { method: method, headers: headers, credentials: "same-origin" };
    if (method !== "GET" && method !== "DELETE") {
      headers["Content-Type"] = el.getAttribute("data-content-type") || "application/json";
      init.body = typeof body === "string" ? body : JSON.stringify(body);
    }
    return fetch(url, init).then(function (r) {
      var ct = r.headers.get("Content-Type") || "";
      var read = ct.indexOf("json") >= 0 ? r.json() : r.text();
      return read.then(function (data) {
        if (busy) busy.removeAttribute("aria-busy");
        if (!r.ok) {
          showErrors(scope, r.status, typeof data === "object" ? data : { summary: String(data).slice(0, 500) });
          return;
        }
        after(el, scope, data);
      });
    }).catch(function (err) {
      if (busy) busy.removeAttribute("aria-busy");
      showErrors(scope, 0, { summary: "The request failed: " + err.message });
    });
  }

  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.hasAttribute || !form.hasAttribute("data-api")) return;
    e.preventDefault();
    if (form.hasAttribute("data-confirm") && !window.confirm(form.getAttribute("data-confirm"))) return;
    var body;
    try {
      body = form.hasAttribute("data-raw") ? form.querySelector("[data-raw-body]").value : formJson(form);
    } catch (err) {
      showErrors(form, 0, { summary: "Fix the field " + err.field + ": " + err.message });
      return;
    }
    call(form, form, (form.getAttribute("data-method") || "POST").toUpperCase(), form.getAttribute("data-api"), body);
  });

  document.addEventListener("click", function (e) {
    var btn = e.target.closest ? e.target.closest("button[data-api]") : null;
    if (!btn) return;
    e.preventDefault();
    if (btn.hasAttribute("data-confirm") && !window.confirm(btn.getAttribute("data-confirm"))) return;
    var scope = btn.closest("[data-scope]") || btn.closest("section") || document.querySelector("main");
    var body = btn.getAttribute("data-body");
    var source = btn.getAttribute("data-form-body");
    if (source) {
      var form = document.querySelector(source);
      scope = form;
      try {
        body = formJson(form);
      } catch (err) {
        showErrors(form, 0, { summary: "Fix the field " + err.field + ": " + err.message });
        return;
      }
    } else {
      body = body ? JSON.parse(body) : {};
    }
    var out = btn.getAttribute("data-then");
    if (out && out.indexOf("show:") === 0) {
      var target = document.querySelector(out.substring(5));
      if (target) target.hidden = true;
    }
    call(btn, scope, (btn.getAttribute("data-method") || "POST").toUpperCase(), btn.getAttribute("data-api"), body);
  });

  // Charts: the server sends {"x": [epoch seconds], "series": [{"label": "...", "values": [...]}], "unit": "..."}.
  var charts = [];

  function chartColors(i) {
    return ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"][i % 5];
  }

  function drawChart(el) {
    fetch(el.getAttribute("data-chart"), { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (d) {
        if (!d || !window.uPlot) return;
        var data = [d.x].concat(d.series.map(function (s) {
          return s.values.map(function (v) { return v === null ? null : v; });
        }));
        if (!el._plot) {
          var opts = {
            width: Math.max(280, el.clientWidth || 600),
            height: 180,
            legend: { show: true },
            scales: { x: { time: true } },
            axes: [{ stroke: "currentColor" }, { stroke: "currentColor", label: d.unit || "" }],
            series: [{}].concat(d.series.map(function (s, i) {
              return { label: s.label, stroke: chartColors(i), width: 2, spanGaps: true };
            }))
          };
          el._plot = new window.uPlot(opts, data, el);
        } else {
          el._plot.setData(data);
        }
      })
      .catch(function () { /* the next refresh tries again */ });
  }

  function startCharts(root) {
    (root || document).querySelectorAll("[data-chart]").forEach(function (el) {
      if (el._chartStarted) return;
      el._chartStarted = true;
      charts.push(el);
      drawChart(el);
    });
  }

  setInterval(function () {
    charts = charts.filter(function (el) { return document.body.contains(el); });
    charts.forEach(drawChart);
  }, 2000);

  window.addEventListener("resize", function () {
    charts.forEach(function (el) {
      if (el._plot) el._plot.setSize({ width: Math.max(280, el.clientWidth), height: 180 });
    });
  });

  document.addEventListener("DOMContentLoaded", function () { startCharts(document); });
  document.addEventListener("htmx:afterSettle", function (e) { startCharts(e.target); });

  window.sluiceConsole = { formJson: formJson, call: call, showErrors: showErrors, clearErrors: clearErrors,
    csrf: csrf, startCharts: startCharts };
})();
