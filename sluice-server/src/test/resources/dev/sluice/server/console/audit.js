// Accessibility basics of the page in the browser, for ConsoleAuditIT: returns a list of problems (empty: none).
// Checks: every form control has a label; every image/svg has a name or is hidden; text contrast >= 4.5:1
// (3:1 for large text) against the nearest opaque background; no duplicate ids; headings do not skip levels;
// the page does not scroll sideways.
() => {
  const problems = [];
  const name = (el) => el.id ? "#" + el.id : el.tagName.toLowerCase() + (el.name ? "[name=" + el.name + "]" : "");
  const visible = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length)
    && getComputedStyle(el).visibility !== "hidden";
  for (const el of document.querySelectorAll("input, select, textarea")) {
    if (el.type === "hidden" || !visible(el)) continue;
    const labelled = (el.id && document.querySelector('label[for="' + CSS.escape(el.id) + '"]'))
      || el.closest("label") || el.getAttribute("aria-label") || el.getAttribute("aria-labelledby");
    if (!labelled) problems.push("no label: " + name(el));
  }
  for (const el of document.querySelectorAll("button, a[href]")) {
    if (!visible(el)) continue;
    const text = (el.innerText || el.textContent || "").trim() || el.getAttribute("aria-label") || el.getAttribute("title");
    if (!text) problems.push("no accessible name: " + el.outerHTML.slice(0, 80));
  }
  for (const el of document.querySelectorAll("img, svg")) {
    if (el.closest("[aria-hidden=true]") || el.closest(".ace_editor") || el.closest(".uplot")) continue;
    if (!(el.getAttribute("alt") != null || el.getAttribute("aria-label") || el.getAttribute("role") === "presentation")) {
      problems.push("image without a text alternative: " + el.outerHTML.slice(0, 80));
    }
  }
  const ids = {};
  for (const el of document.querySelectorAll("[id]")) {
    if (ids[el.id]) problems.push("duplicate id: " + el.id);
    ids[el.id] = true;
  }
  let last = 0;
  for (const h of document.querySelectorAll("main h1, main h2, main h3, main h4")) {
    const level = Number(h.tagName.substring(1));
    if (last && level > last + 1) problems.push("heading skips a level: " + h.tagName + " " + h.innerText.slice(0, 40));
    last = level;
  }
  const rgb = (c) => {
    const m = c.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  };
  const lum = (c) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  };
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c && c.a >= 0.99) return c;
    }
    return rgb(getComputedStyle(document.documentElement).backgroundColor) || { r: 255, g: 255, b: 255, a: 1 };
  };
  const seen = new Set();
  for (const el of document.querySelectorAll("main *, header *")) {
    if (!visible(el) || el.closest(".ace_editor") || el.closest(".uplot") || el.closest("svg")) continue;
    const own = Array.from(el.childNodes).some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const st = getComputedStyle(el);
    const fg = rgb(st.color);
    if (!fg) continue;
    const bg = background(el);
    const a = lum(fg), b = lum(bg);
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const size = parseFloat(st.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(st.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) {
      const key = st.color + "/" + getComputedStyle(el).backgroundColor + "/" + el.tagName;
      if (!seen.has(key)) {
        seen.add(key);
        problems.push("contrast " + ratio.toFixed(2) + ": " + el.tagName.toLowerCase() + " '"
          + el.innerText.trim().slice(0, 30) + "' " + st.color + " on " + JSON.stringify(bg));
      }
    }
  }
  if (document.documentElement.scrollWidth > document.documentElement.clientWidth + 1) {
    problems.push("the page scrolls sideways: " + document.documentElement.scrollWidth + " > "
      + document.documentElement.clientWidth);
  }
  return problems;
}
