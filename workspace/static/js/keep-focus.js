// Redrawing a region (replaceChildren) drops the keyboard focus to the page and what was typed in
// its forms. keepFocus(roots, draw) notes which control had the focus and every field the person
// changed (by kind, label, and the milestone, payment or step it belongs to), draws, then puts the
// typed values back and the focus on the same control again. Fields the person never touched take
// what the new drawing says (the server's latest).
const HOLDERS = ["milestoneId", "paymentId", "step"];
const same = (a, b) => a.tag === b.tag && a.name === b.name && a.text === b.text && a.holder === b.holder;

// A field the person changed is marked, so a redraw knows whose value to keep.
document.addEventListener("input", (e) => { if (e.target?.dataset) e.target.dataset.typed = "1"; }, true);
document.addEventListener("change", (e) => { if (e.target?.dataset) e.target.dataset.typed = "1"; }, true);

const FIELDS = "input, textarea, select";
const valueOf = (node) => (node.type === "checkbox" || node.type === "radio" ? node.checked : node.value);

export function keepFocus(roots, draw) {
  const regions = roots.filter(Boolean);
  const typed = regions.flatMap((r) => [...r.querySelectorAll(FIELDS)])
    .filter((node) => node.dataset.typed).map((node) => [describe(node), valueOf(node)]);
  const active = document.activeElement;
  const root = regions.find((r) => active && r !== active && r.contains(active));
  const was = root ? describe(active) : null;
  const caret = root ? selectionOf(active) : null;
  draw();
  const drawn = regions.flatMap((r) => [...r.querySelectorAll(FIELDS)]);
  for (const [field, value] of typed) {
    const node = drawn.find((n) => same(describe(n), field));
    if (!node) continue;
    if (node.type === "checkbox" || node.type === "radio") node.checked = value; else node.value = value;
    node.dataset.typed = "1";
  }
  if (!was) return;
  const again = [...root.querySelectorAll(was.tag)].find((node) => same(describe(node), was));
  again?.focus({ preventScroll: true });
  // The caret or selection comes back too: a redraw between selecting and typing must not turn
  // "replace this" into "append to this".
  if (again && caret) {
    try { again.setSelectionRange(...caret); } catch { /* a field kind without a caret */ }
  }
}

function selectionOf(node) {
  try {
    return typeof node.selectionStart === "number" ? [node.selectionStart, node.selectionEnd, node.selectionDirection] : null;
  } catch {
    return null; // inputs such as checkboxes have no selection
  }
}

function describe(node) {
  const holder = node.closest("[data-milestone-id], [data-payment-id], [data-step]");
  return {
    tag: node.tagName.toLowerCase(),
    name: (node.getAttribute("name") || node.getAttribute("aria-label") || "")
      + (node.type === "checkbox" || node.type === "radio" ? `=${node.value}` : ""),
    text: ["INPUT", "TEXTAREA", "SELECT"].includes(node.tagName) ? "" : node.textContent.trim(),
    holder: holder ? HOLDERS.map((k) => holder.dataset[k] ?? "").join("|") : "",
  };
}

// After a form was sent, what was typed in it is done with: the next drawing starts fresh.
export function forgetTyped(node) {
  node?.closest("form, .confirm-step")?.querySelectorAll("[data-typed]").forEach((n) => { delete n.dataset.typed; });
}
