// The terms form: add and remove milestone rows, show the total and what is due up front as you type.
// The form posts the typed major-unit text; the server parses it (domain/money.py parse_major).
// The preview uses the exponent the server rendered on each currency option ("0", "0.00", "0.000").
import { formatMinor, parseMajor } from "./money.js";
import { TermsDraft } from "./terms-draft.js";

const form = document.getElementById("terms-form");
const list = document.getElementById("milestones");
const template = document.getElementById("milestone-template");
const currency = document.getElementById("currency");

function renumber() {
  list.querySelectorAll(".milestone-row").forEach((row, n) => {
    row.querySelector(".ms-number").textContent = String(n + 1);
    row.querySelector(".remove-milestone").hidden = list.children.length === 1;
  });
}

function nextIndex() {
  const used = [...list.querySelectorAll(".milestone-row")].map((r) => Number(r.dataset.index));
  return used.length ? Math.max(...used) + 1 : 0;
}

function addRow(index) {
  const html = template.innerHTML.replaceAll("m-999-", `m-${index}-`).replace('data-index="999"', `data-index="${index}"`);
  list.insertAdjacentHTML("beforeend", html);
  renumber();
}

document.getElementById("add-milestone").addEventListener("click", () => {
  addRow(nextIndex());
  list.lastElementChild.querySelector("input").focus();
  update();
});

list.addEventListener("click", (event) => {
  if (!event.target.classList.contains("remove-milestone")) return;
  event.target.closest(".milestone-row").remove();
  renumber();
  update();
});

function update() {
  const code = currency.value;
  const zero = currency.selectedOptions[0]?.dataset.zero ?? "0.00";
  const exp = (zero.split(".")[1] || "").length;
  const money = (minor) => formatMinor(minor, code, exp);
  let total = 0;
  let complete = true;
  for (const input of form.querySelectorAll(".ms-amount, input[name=upfront_amount]")) input.placeholder = zero;
  for (const input of list.querySelectorAll(".ms-amount")) {
    const minor = parseMajor(input.value, exp);
    if (minor === null) complete = false; else total += minor;
  }
  document.getElementById("total").textContent = complete ? money(total) : money(total) + " so far";
  const kind = form.querySelector("input[name=upfront_kind]:checked")?.value || "none";
  const amountLabel = form.querySelector(".upfront-amount");
  amountLabel.hidden = kind !== "portion";
  let due = 0;
  if (kind === "all") due = total;
  if (kind === "portion") due = parseMajor(form.querySelector("input[name=upfront_amount]").value, exp) ?? 0;
  document.getElementById("upfront-due").textContent = money(due);
}

// What is typed is kept in this browser until it is sent (terms-draft.js). A page the server drew
// with errors already shows what was sent, so nothing is restored over it.
const draft = new TermsDraft({ form, key: form.dataset.draftKey, addRow });
if (form.dataset.restore === "yes" && draft.restore()) {
  const note = document.getElementById("draft-restored");
  note.hidden = false;
  note.querySelector("button").addEventListener("click", () => { draft.clear(); location.reload(); });
}
form.addEventListener("input", () => { update(); draft.save(); });
form.addEventListener("change", () => { update(); draft.save(); });
list.addEventListener("click", () => draft.save()); // a row removed
form.addEventListener("submit", () => draft.clear());
renumber();
update();
