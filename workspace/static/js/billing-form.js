// Billing details: name, address, tax id, tax rate and up to 6 ways to be paid, for the account
// (PUT /api/v1/me/billing, the account page) or for one job (PUT /api/v1/jobs/<job>/billing, the room's
// Info tab). The server validates and answers per-field errors ("payment_methods.2.value"), shown under
// each field. The tax rate is typed in percent and sent in basis points, read as text with two
// decimals (never a float): "19" -> 1900, "7.5" -> 750.
import { api } from "./http.js";
import { el } from "./dom.js";
import { parseMajor } from "./money.js";

const KINDS = [["iban", "Bank transfer (IBAN/SWIFT)"], ["paypal", "PayPal"], ["wise", "Wise"], ["link", "Payment link"], ["other", "Other"]];
const MAX = 6;
let ids = 0;

// 1900 -> "19", 750 -> "7.5"
const percent = (bp) => {
  const whole = Math.floor(bp / 100);
  const frac = String(bp % 100).padStart(2, "0").replace(/0+$/, "");
  return frac ? `${whole}.${frac}` : String(whole);
};

export class BillingForm {
  // `url` GETs and PUTs the details; `pick` takes the GET answer to the details shown (the job's
  // answer is {mine, freelancer, role}); `freelancerSide` shows the tax rate and ways to be paid;
  // `onSaved` runs after a save (the room refetches the job: what the client is told to pay to changed).
  constructor({ root, url, pick = (d) => d, freelancerSide = true, note = null, onSaved = () => {} }) {
    this.root = root;
    this.onSaved = onSaved;
    this.url = url;
    this.pick = pick;
    this.freelancerSide = freelancerSide;
    this.note = note;
  }

  async load() {
    const result = await api("GET", this.url);
    if (!result.ok) { this.root.replaceChildren(el("p", { class: "field-error", text: result.error.message })); return; }
    this.answer = result;
    this.draw(this.pick(result));
  }

  field(label, input, name, hint = null) {
    const id = `billing-${name.replace(/\W/g, "-")}-${++ids}`;
    input.id = id;
    input.name = name;
    const error = el("p", { class: "field-error", id: `${id}-error`, hidden: true, dataset: { field: name } });
    input.setAttribute("aria-describedby", `${id}-error`);
    return el("div", { class: "billing-field" }, el("label", { for: id }, label, hint ? el("span", { class: "hint", text: ` ${hint}` }) : null), input, error);
  }

  methodRow(m = { kind: "iban", value: "", label: "" }) {
    const kind = el("select", {}, KINDS.map(([v, l]) => el("option", { value: v, text: l, selected: v === m.kind })));
    const value = el("input", { value: m.value || "", maxlength: "300", placeholder: "IBAN and BIC, address, link…" });
    const label = el("input", { value: m.label || "", maxlength: "100", placeholder: "e.g. EUR account" });
    const remove = el("button", { class: "button small", type: "button", text: "Remove" });
    const row = el("li", { class: "billing-method" }, this.field("Kind", kind, "kind"), this.field("Where to pay", value, "value"),
      this.field("Label (optional)", label, "label"), remove);
    remove.addEventListener("click", () => { row.remove(); this.renumber(); });
    return row;
  }

  renumber() {
    const rows = [...this.list.children];
    rows.forEach((row, i) => {
      for (const input of row.querySelectorAll("select, input")) {
        const part = input.name.split(".").pop();
        input.name = `payment_methods.${i}.${part}`;
        const error = row.querySelector(`#${CSS.escape(input.id)}-error`);
        if (error) error.dataset.field = input.name;
        const text = { kind: "Kind", value: "Where to pay", label: "Label" }[part];
        input.setAttribute("aria-label", `Way to be paid ${i + 1}: ${text}`);
      }
    });
    this.add.hidden = rows.length >= MAX;
  }

  draw(d) {
    const name = el("input", { value: d.name || "", maxlength: "200", autocomplete: "organization" });
    const address = el("textarea", { rows: "3", maxlength: "1000" });
    address.value = d.address || "";
    const taxId = el("input", { value: d.tax_id || "", maxlength: "60" });
    const rate = el("input", { value: percent(d.tax_rate_bp || 0), inputmode: "decimal", maxlength: "6" });
    this.list = el("ol", { class: "billing-methods" }, (d.payment_methods || []).map((m) => this.methodRow(m)));
    this.add = el("button", { class: "button small", type: "button", text: "Add a way to be paid" });
    this.add.addEventListener("click", () => { this.list.append(this.methodRow()); this.renumber(); this.list.lastElementChild.querySelector("input")?.focus(); });
    const save = el("button", { class: "button primary", type: "submit", text: "Save billing details" });
    const status = el("p", { class: "small", role: "status" });
    const general = el("p", { class: "field-error", role: "alert", hidden: true });
    const form = el("form", { class: "form billing-form", novalidate: true },
      this.note ? el("p", { class: "small muted", text: this.note }) : null,
      this.field(this.freelancerSide ? "Legal or business name" : "Company or name", name, "name"),
      this.field("Address", address, "address"),
      this.field("Tax id", taxId, "tax_id", "(VAT number or similar)"),
      this.freelancerSide ? this.field("Tax rate (%)", rate, "tax_rate_bp", "agreed amounts include it; 0 for none") : null,
      this.freelancerSide ? el("fieldset", { class: "billing-methods-box" }, el("legend", { text: `Ways to be paid (up to ${MAX})` }),
        el("p", { class: "small muted", text: "Clients see these at “Record a payment”, with the invoice number to quote." }), this.list, this.add) : null,
      general, el("div", { class: "actions" }, save), status);
    if (this.freelancerSide) this.renumber();
    form.addEventListener("input", () => { status.textContent = ""; });
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      for (const box of form.querySelectorAll(".field-error[data-field]")) box.hidden = true;
      for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
      general.hidden = true;
      const body = { name: name.value, address: address.value, tax_id: taxId.value };
      if (this.freelancerSide) {
        const bp = parseMajor(rate.value.replace(/%\s*$/, ""), 2);
        if (bp === null || bp > 10000) { this.showErrors(form, { tax_rate_bp: "A percentage from 0 to 100, e.g. 19 or 7.5." }); return; }
        body.tax_rate_bp = bp;
        body.payment_methods = [...this.list.children].map((row) => ({
          kind: row.querySelector("select").value, value: row.querySelectorAll("input")[0].value, label: row.querySelectorAll("input")[1].value,
        }));
      }
      save.disabled = true;
      const result = await api("PUT", this.url, body);
      save.disabled = false;
      if (!result.ok) {
        general.textContent = result.error?.message || "That did not work.";
        general.hidden = false;
        this.showErrors(form, result.error?.fields || {});
        return;
      }
      status.textContent = "Saved.";
      this.onSaved();
    });
    this.root.replaceChildren(form);
  }

  showErrors(form, fields) {
    let first = null;
    for (const [name, text] of Object.entries(fields)) {
      const box = form.querySelector(`.field-error[data-field="${CSS.escape(name)}"]`)
        || form.querySelector(`.field-error[data-field="${CSS.escape(name.split(".").slice(0, 2).join("."))}.value"]`);
      if (!box) continue;
      box.textContent = text;
      box.hidden = false;
      const input = form.querySelector(`[name="${CSS.escape(box.dataset.field)}"]`);
      input?.setAttribute("aria-invalid", "true");
      first = first || input;
    }
    first?.focus();
  }
}

// The page that loads this module directly (the account page): one form per [data-billing-account].
for (const root of document.querySelectorAll("[data-billing-account]")) {
  new BillingForm({ root, url: "/api/v1/me/billing", pick: (answer) => answer.billing }).load();
}
