// Redrawing a region (replaceChildren) drops the keyboard focus to the page. keepFocus(roots, draw)
// notes which control inside those regions had the focus (its kind, text or label, and the
// milestone, payment or step it belongs to), draws, and puts the focus on the same control again.
const HOLDERS = ["milestoneId", "paymentId", "step"];
const same = (a, b) => a.tag === b.tag && a.name === b.name && a.text === b.text && a.holder === b.holder;

export function keepFocus(roots, draw) {
  const active = document.activeElement;
  const root = roots.find((r) => r && active && r !== active && r.contains(active));
  if (!root) { draw(); return; }
  const was = describe(active);
  draw();
  const again = [...root.querySelectorAll(was.tag)].find((node) => same(describe(node), was));
  again?.focus({ preventScroll: true });
}

function describe(node) {
  const holder = node.closest("[data-milestone-id], [data-payment-id], [data-step]");
  return {
    tag: node.tagName.toLowerCase(),
    name: node.getAttribute("name") || node.getAttribute("aria-label") || "",
    text: ["INPUT", "TEXTAREA", "SELECT"].includes(node.tagName) ? "" : node.textContent.trim(),
    holder: holder ? HOLDERS.map((k) => holder.dataset[k] ?? "").join("|") : "",
  };
}
