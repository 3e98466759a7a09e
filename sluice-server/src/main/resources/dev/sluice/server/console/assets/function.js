// The function editor (/functions/new, /functions/{name}): Ace over the form's <textarea name="code"> (kept in sync,
// so console.js posts it and the page works as a plain textarea without script), fields per type, and the test
// panel, which captures messages and runs the unsaved function through POST /api/functions/test.
(function () {
  "use strict";
  var c = window.sluiceConsole;
  var form = document.getElementById("function-form");
  if (!form || !c) return;
  var typeSelect = document.getElementById("fn-type");
  var textarea = document.getElementById("fn-code");
  var editorDiv = document.getElementById("fn-editor");
  var editor = null;

  var DEFAULTS = {
    transform: "function transform(action, record, changes, metadata) {\n  return record;\n}\n",
    filter: "function filter(action, record, changes, metadata) {\n  return true;\n}\n",
    routing: "function route(action, record, changes, metadata) {\n  return {};\n}\n",
    enrichment: "SELECT id FROM public.my_table WHERE id = ANY($1)\n"
  };

  function isDefault(code) {
    return !code.trim() || Object.keys(DEFAULTS).some(function (k) { return DEFAULTS[k].trim() === code.trim(); });
  }

  function code() { return editor ? editor.getValue() : textarea.value; }

  function setCode(text) {
    textarea.value = text;
    if (editor) editor.session.setValue(text);
  }

  function applyType() {
    var type = typeSelect.value;
    document.querySelectorAll("[data-for-type]").forEach(function (el) {
      var on = el.getAttribute("data-for-type").split(" ").indexOf(type) >= 0;
      el.hidden = !on;
      el.querySelectorAll("input, select, textarea").forEach(function (f) {
        if (f.hasAttribute("data-local")) return;
        f.disabled = !on;
      });
    });
    if (DEFAULTS[type] && isDefault(code())) setCode(DEFAULTS[type]);
    if (editor) editor.session.setMode(type === "enrichment" ? "ace/mode/text" : "ace/mode/javascript");
  }

  function startAce() {
    if (!window.ace) return;
    window.ace.config.set("useStrictCSP", true);
    window.ace.config.set("basePath", "/console/assets/vendor/ace");
    var dark = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;
    editorDiv.hidden = false;
    editor = window.ace.edit(editorDiv);
    // Before any mode: a JavaScript mode would start a worker from a blob: URL, which the CSP refuses.
    editor.session.setUseWorker(false);
    editor.setOptions({
      mode: "ace/mode/javascript",
      theme: dark && dark.matches ? "ace/theme/github_dark" : "ace/theme/github",
      minLines: 12,
      maxLines: 40,
      fontSize: 14,
      showPrintMargin: false,
      tabSize: 2,
      useSoftTabs: true,
      textInputAriaLabel: "Code"
    });
    editor.session.setValue(textarea.value);
    editor.session.on("change", function () { textarea.value = editor.getValue(); });
    textarea.hidden = true;
    var input = editor.textInput.getElement();
    input.id = "fn-code-editor";
    var label = document.querySelector('label[for="fn-code"]');
    if (label) label.htmlFor = input.id;
    input.setAttribute("aria-describedby", "fn-code-hint");
    if (dark && dark.addEventListener) {
      dark.addEventListener("change", function () {
        editor.setTheme(dark.matches ? "ace/theme/github_dark" : "ace/theme/github");
      });
    }
  }

  startAce();
  typeSelect.addEventListener("change", applyType);
  applyType();

  // ---- the test panel
  var panel = document.getElementById("test-panel");
  var input = document.getElementById("test-input");
  var output = document.getElementById("test-output");
  var note = document.getElementById("capture-note");

  function request(method, url, body) {
    var init = { method: method, credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRF-Token": c.csrf() } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(url, init).then(function (r) {
      return r.json().then(function (d) { return { ok: r.ok, status: r.status, data: d }; },
        function () { return { ok: false, status: r.status, data: { summary: "The server answered " + r.status + "." } }; });
    });
  }

  panel.querySelectorAll("[data-capture]").forEach(function (b) {
    b.addEventListener("click", function () {
      var table = document.getElementById("test-table").value;
      c.clearErrors(panel);
      if (!table) { c.showErrors(panel, 0, { summary: "Choose a table first." }); return; }
      b.setAttribute("aria-busy", "true");
      var url = "/console/functions/capture?table=" + encodeURIComponent(table) +
        (b.getAttribute("data-capture") === "synthetic" ? "&synthetic=true" : "");
      request("GET", url).then(function (res) {
        b.removeAttribute("aria-busy");
        if (!res.ok) { c.showErrors(panel, res.status, res.data); return; }
        input.value = JSON.stringify(res.data.messages, null, 2);
        note.textContent = res.data.note;
      }).catch(function (err) {
        b.removeAttribute("aria-busy");
        c.showErrors(panel, 0, { summary: "The request failed: " + err.message });
      });
    });
  });

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function pre(value) {
    return el("pre", "json", typeof value === "string" ? value : JSON.stringify(value, null, 2));
  }

  function render(data) {
    output.textContent = "";
    var list = el("ol", "results");
    data.results.forEach(function (r, i) {
      var li = el("li");
      li.appendChild(el("h3", null, "Message " + (i + 1)));
      var details = el("details");
      details.appendChild(el("summary", null, "Input"));
      details.appendChild(pre(r.input));
      li.appendChild(details);
      if (r.error) {
        var where = r.error.line != null ? " at line " + r.error.line +
          (r.error.column != null ? ", column " + r.error.column : "") : "";
        li.appendChild(el("p", "error result-error", (r.error.kind || "error") + " error" + where + ": " + r.error.message));
      } else {
        li.appendChild(el("p", null, "Output"));
        var out = pre(r.output);
        out.classList.add("result-output");
        li.appendChild(out);
      }
      if (r.routing) {
        li.appendChild(el("p", null, "Effective routing"));
        li.appendChild(pre(r.routing));
      }
      li.appendChild(el("p", "hint", "Time: " + (r.duration_us >= 1000 ? (r.duration_us / 1000).toFixed(1) + " ms" : r.duration_us + " µs")));
      list.appendChild(li);
    });
    output.appendChild(list);
  }

  var run = panel.querySelector("[data-run]");
  run.addEventListener("click", function () {
    c.clearErrors(panel);
    output.textContent = "";
    var messages;
    try {
      messages = JSON.parse(input.value);
    } catch (err) {
      c.showErrors(panel, 0, { summary: "The input is not valid JSON: " + err.message });
      return;
    }
    if (!Array.isArray(messages)) messages = [messages];
    if (!messages.length) {
      c.showErrors(panel, 0, { summary: "No input: capture messages or use a synthetic one first." });
      return;
    }
    var type = typeSelect.value;
    var fn = { name: document.getElementById("fn-name").value || "draft", type: type };
    if (type === "path") fn.path = document.getElementById("fn-path").value;
    else fn.code = code();
    if (type === "routing") fn.sink_type = document.getElementById("fn-sink-type").value;
    var body = { "function": fn, messages: messages };
    var sink = document.getElementById("test-sink").value;
    if (sink && (type === "routing" || type === "enrichment")) body.sink = sink;
    run.setAttribute("aria-busy", "true");
    request("POST", "/api/functions/test", body).then(function (res) {
      run.removeAttribute("aria-busy");
      if (!res.ok) { c.showErrors(panel, res.status, res.data); return; }
      render(res.data);
    }).catch(function (err) {
      run.removeAttribute("aria-busy");
      c.showErrors(panel, 0, { summary: "The request failed: " + err.message });
    });
  });
})();
