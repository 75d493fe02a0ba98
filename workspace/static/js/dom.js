// Small DOM helpers: build elements with text (never HTML from strings), and friendly times.
import { timeNode } from "./time.js";

export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// A file's icon, drawn (a glyph such as "⎘" is an empty box where the fonts lack it).
export function fileIcon() {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  for (const [k, v] of Object.entries({ class: "file-icon", width: "14", height: "14", viewBox: "0 0 24 24", fill: "none", stroke: "currentColor",
    "stroke-width": "2", "stroke-linecap": "round", "stroke-linejoin": "round", "aria-hidden": "true", focusable: "false" })) svg.setAttribute(k, v);
  for (const d of ["M14 3H7a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h10a2 2 0 0 0 2-2V8z", "M14 3v5h5"]) {
    const path = document.createElementNS(ns, "path");
    path.setAttribute("d", d);
    svg.append(path);
  }
  return svg;
}

// "27 s", "4 min", "3 h 10 min", "5 days": never "0 min" for something that lasted seconds.
export function duration(ms) {
  const seconds = Math.round(Math.abs(ms) / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h${minutes % 60 ? ` ${minutes % 60} min` : ""}`;
  return `${Math.round(hours / 24)} days`;
}

// Times: the one formatter of the page is time.js (re-exported for the modules that import them here).
export { tickTimes } from "./time.js";

// "5 minutes ago", its full time and zone in the title (time.js keeps it fresh).
export function timeEl(iso) {
  return timeNode(iso, "ago", "ago");
}

// A form's per-field messages: each `.field-error[data-field=name]` shows its text, its field is marked
// aria-invalid and the first such field takes the focus; fields without a message are cleared. Returns
// whether every field named in `fields` got its message next to it (then no general line is needed).
export function fieldErrors(form, fields) {
  let first = null;
  const placed = new Set();
  for (const box of form.querySelectorAll(".field-error[data-field]")) {
    const input = form.querySelector(`[name="${CSS.escape(box.dataset.field)}"]`);
    const text = fields[box.dataset.field];
    box.textContent = text || "";
    box.hidden = !text;
    if (text) input?.setAttribute("aria-invalid", "true"); else input?.removeAttribute("aria-invalid");
    if (text) { placed.add(box.dataset.field); first = first || input; }
  }
  first?.focus();
  const named = Object.keys(fields);
  return named.length > 0 && named.every((name) => placed.has(name));
}
