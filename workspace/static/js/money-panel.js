// The milestones panel and the balance card: state, amounts, submissions, and the actions this
// person may take. Money actions go over HTTP with an Idempotency-Key made when the step opens,
// so a double click or a retry never approves or pays twice. The room's events trigger a refresh.
// The server decides: amounts arrive formatted (`display`), the buttons come from each view's
// `actions` for this person, and typed amounts are read with the currency exponent it sent.
import { api, upload } from "./http.js";
import { el, duration, fieldErrors, fileIcon, timeEl } from "./dom.js";
import { learn, parseMajor, shown } from "./money.js";
import { daysOverdue, isOverdue, redrawWhenDue } from "./overdue.js";
import { timeNode } from "./time.js";
import { forgetTyped, keepFocus } from "./keep-focus.js";
import { closedNote, disputeForm } from "./disputes.js";

const STATE_LABELS = {
  planned: "Planned", submitted: "In review", changes_requested: "Changes requested",
  approved: "Approved", paid: "Paid", cancelled: "Cancelled",
};
const METHODS = [["bank_transfer", "Bank transfer"], ["paypal", "PayPal"], ["wise", "Wise"], ["card", "Card"], ["cash", "Cash"], ["other", "Other"]];
const newKey = () => (crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`);

export class MoneyPanel {
  constructor({ milestonesRoot, balanceRoot, reviewRoot, me, job, onRender = () => {}, alsoRedrawn = [] }) {
    this.onRender = onRender; // the room's own parts that follow the job (its status badge)
    this.alsoRedrawn = alsoRedrawn; // regions onRender draws again (the call to action), for the focus
    this.milestonesRoot = milestonesRoot;
    this.balanceRoot = balanceRoot;
    this.reviewRoot = reviewRoot;
    this.me = me;
    this.jobId = job;
    this.open = new Map(); // milestone id -> which form is open ("submit", "approve", "changes", ...)
    this.keys = new Map(); // action -> idempotency key, kept until that action succeeds
    this.payDraft = null; // the payment form's typed values, kept across redraws
    this.job = null;
  }

  // Refreshes overlap (an action's own and the room events'): a response that comes back after a
  // newer request was sent is stale, so only the latest request issued may draw.
  async refresh() {
    const ticket = (this.refreshes = (this.refreshes || 0) + 1);
    const result = await api("GET", `/api/v1/jobs/${this.jobId}`);
    if (ticket !== this.refreshes) return null;
    if (result.ok) this.render(result.job);
    return result.job;
  }

  render(job) {
    this.job = job;
    this.currency = job.balances.currency ?? job.agreement?.currency;
    this.exponent = job.balances.exponent ?? job.agreement?.exponent;
    learn(job.balances);
    learn(job.agreement);
    learn(job.pending_agreement);
    // News redraws these regions: a keyboard user's focus stays on the control it was on.
    keepFocus([this.milestonesRoot, this.balanceRoot, this.reviewRoot, ...this.alsoRedrawn], () => {
      this.renderMilestones();
      this.renderBalance();
      this.renderReview();
      this.onRender(job);
    });
  }

  placeholder() { return this.exponent ? `0.${"0".repeat(this.exponent)}` : "0"; }

  key(action) {
    if (!this.keys.has(action)) this.keys.set(action, newKey());
    return this.keys.get(action);
  }

  async act(button, errorBox, request, action) {
    button.disabled = true;
    errorBox.hidden = true;
    const result = await request();
    button.disabled = false;
    if (!result.ok) {
      errorBox.textContent = result.error?.message || "That did not work.";
      errorBox.hidden = false;
      if (result.status && result.status < 500 && action) this.keys.delete(action);
      return null;
    }
    if (action) this.keys.delete(action);
    forgetTyped(button);
    return result;
  }

  // Opens one milestone's step ("approve", "submit", "cancel", ... or null for none); returns its card.
  openStep(milestoneId, step) {
    if (step) this.open.set(milestoneId, step);
    this.renderMilestones();
    return this.milestonesRoot.querySelector(`.ms[data-milestone-id="${milestoneId}"]`);
  }

  // ------------------------------------------------------------ milestones

  renderMilestones() {
    const { job } = this;
    if (!job.milestones.length) {
      this.milestonesRoot.replaceChildren(el("p", { class: "muted small", text: "Milestones appear here once terms are in force." }));
      return;
    }
    this.milestonesRoot.replaceChildren(el("ol", { class: "ms-list" }, job.milestones.map((m) => this.milestone(m))));
    // A due day that ends while the page is open flags its milestone then (the server said when).
    this.overdueTimer = redrawWhenDue(job.milestones, () => this.render(this.job), this.overdueTimer);
  }

  milestone(m) {
    const s = m.submission;
    const late = isOverdue(m);
    const days = late ? daysOverdue(m) : 0;
    const disputed = (this.job.disputed_milestones || []).includes(m.id);
    const card = el("li", { class: `ms ms-${m.state}${late ? " ms-overdue" : ""}${disputed ? " ms-disputed" : ""}`, dataset: { milestoneId: m.id } },
      el("div", { class: "ms-head" },
        el("strong", { class: "ms-title", text: m.title }),
        late ? el("span", { class: "pill overdue-pill", text: "Overdue" }) : null,
        disputed ? el("span", { class: "pill disputed-pill", text: "Disputed" }) : null,
        el("span", { class: `state state-${m.state}`, text: STATE_LABELS[m.state] || m.state })),
      el("div", { class: "ms-meta muted small" },
        el("span", { class: "money", text: shown(m) }), " · due ", timeNode(m.due_at, "deadline"),
        late ? el("span", { class: "overdue", text: ` (${days} day${days === 1 ? "" : "s"} overdue)` }) : null,
        ` · ${m.revisions_used}/${m.revisions_included} revisions used`));
    // Its closed disputes, oldest first (the job view lists them newest first).
    for (const d of (this.job.disputes || []).filter((x) => x.milestone === m.id && x.state !== "open").reverse()) card.append(closedNote(d));
    if (disputed) {
      card.append(el("p", { class: "small bad-text", text: "Frozen by a dispute: see the banner at the top of the room." }));
    } else if (m.state === "submitted" && s) {
      const left = Date.parse(m.review_due_at) - Date.now();
      card.append(el("p", { class: "small review-clock" }, "Submitted ", timeEl(s.submitted_at), " · ",
        el("strong", { text: left > 0 ? `auto-approves in ${duration(left)}` : "auto-approving now" })));
    }
    if (s) card.append(this.submission(m, s));
    if (m.state === "approved") {
      card.append(el("p", { class: "small ok-text", text: m.auto_approved ? "Approved automatically when the review window ran out." : "Approved." }));
    }
    if (m.cancel_requested_by && m.state !== "cancelled") {
      const mine = m.cancel_requested_by === this.job.role;
      const other = m.cancel_requested_by === "client" ? "freelancer" : "client";
      card.append(el("p", { class: "small warn-text", text: mine ? `You asked to cancel this milestone; the ${other} has not agreed yet.` : `The ${m.cancel_requested_by} asked to cancel this milestone.` }));
    }
    card.append(this.actions(m));
    return card;
  }

  submission(m, s) {
    const box = el("div", { class: "submission" },
      el("div", { class: "muted small", text: `Submission ${s.number}` }));
    if (s.html) {
      const note = el("div", { class: "prose small" });
      note.innerHTML = s.html; // rendered and sanitized on the server
      box.append(note);
    }
    if (s.attachments.length) {
      box.append(el("ul", { class: "files" }, s.attachments.map((a) => el("li", {},
        a.thumb_url ? el("a", { href: a.url, target: "_blank", rel: "noopener" }, el("img", { class: "thumb", src: a.thumb_url, alt: a.name }))
          : el("a", { class: "file-link", href: a.url }, fileIcon(), " ", a.name)))));
    }
    if (s.decision === "changes_requested") {
      const label = s.out_of_scope ? "marked out of scope" : `revision ${s.revision} of ${m.revisions_included}`;
      box.append(el("div", { class: "change-request" },
        el("strong", { text: `Changes requested (${label})` }),
        el("p", { class: "small", text: s.reason }),
        s.criteria.length ? el("ul", { class: "criteria" }, s.criteria.map((i) => el("li", { text: m.criteria[i] }))) : null));
    }
    return box;
  }

  actions(m) {
    const box = el("div", { class: "ms-actions" });
    const form = this.open.get(m.id);
    // Opening a step puts the focus on its first control; closing it, back on the action (the list is
    // drawn again, so the focused button would otherwise be lost to the page).
    const toggle = (name) => (e) => {
      const opening = form !== name;
      this.open.set(m.id, opening ? name : null);
      this.renderMilestones();
      this.focusStep(m.id, opening ? null : e.currentTarget.textContent);
    };
    const error = el("p", { class: "field-error", hidden: true });
    const may = new Set(m.actions || []); // computed by the server for this person
    // Each opens its step (the step's own button then does the action): it says whether it is open.
    const step = (name, text, kind = "") => box.append(el("button", { class: `button small${kind ? ` ${kind}` : ""}`, type: "button", text,
      "aria-expanded": String(form === name), onclick: toggle(name) }));
    if (may.has("submit")) step("submit", m.state === "planned" ? "Submit for review" : "Resubmit", "primary");
    if (may.has("price")) step("price", "Price the extra work");
    if (may.has("approve")) step("approve", "Approve", "primary");
    if (may.has("request_changes")) step("changes", "Request changes");
    if (may.has("cancel")) step("cancel", m.cancel_requested_by ? "Agree to cancel" : "Ask to cancel", "danger");
    if (may.has("dispute")) step("dispute", "Dispute");
    const panel = el("div", { class: "ms-form" });
    if (form === "submit") panel.append(this.submitForm(m, error));
    if (form === "approve") panel.append(this.approveStep(m, error));
    if (form === "changes") panel.append(this.changesForm(m, error));
    if (form === "price") panel.append(this.priceForm(m, error));
    if (form === "cancel") panel.append(this.cancelStep(m, error));
    if (form === "dispute") {
      panel.append(disputeForm({ milestone: m, error, keyFor: (action) => this.key(action),
        done: (action) => { this.keys.delete(action); this.open.delete(m.id); this.refresh(); } }));
    }
    return el("div", {}, box, panel, error);
  }

  // After a redraw: the focus on the open step's first control, or on the action named `action`.
  focusStep(milestoneId, action = null) {
    const card = this.milestonesRoot.querySelector(`.ms[data-milestone-id="${milestoneId}"]`);
    const target = action
      ? [...(card?.querySelectorAll(".ms-actions button") || [])].find((b) => b.textContent === action)
      : card?.querySelector(".ms-form input, .ms-form textarea, .ms-form select, .ms-form button");
    target?.focus();
  }

  // A step's Back: the step closes and the focus returns to the action that opened it.
  back(m, action) {
    this.open.delete(m.id);
    this.renderMilestones();
    this.focusStep(m.id, action);
  }

  submitForm(m, error) {
    const note = el("textarea", { rows: "3", placeholder: "What are you delivering? (Markdown)", "aria-label": "Submission note" });
    const files = [];
    const list = el("ul", { class: "pending-files" });
    const input = el("input", { type: "file", multiple: true, "aria-label": "Files" });
    input.addEventListener("change", async () => {
      for (const file of input.files) {
        const item = el("li", { text: `${file.name} — uploading…` });
        list.append(item);
        const result = await upload(`/api/v1/jobs/${this.jobId}/attachments`, file);
        if (result.ok) { files.push(result.attachment.id); item.textContent = `${file.name} — ready`; }
        else item.textContent = `${file.name} — ${result.error.message}`;
      }
      input.value = "";
    });
    const send = el("button", { class: "button small primary", type: "submit", text: "Send for review" });
    const form = el("form", { class: "form" }, note, input, list, el("div", { class: "actions" }, send));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const done = await this.act(send, error, () => api("POST", `/api/v1/milestones/${m.id}/submit`, { note: note.value, attachments: files }));
      if (done) { this.open.delete(m.id); this.render({ ...this.job }); this.refresh(); }
    });
    return form;
  }

  approveStep(m, error) {
    const checks = m.criteria.length
      ? el("fieldset", { class: "checklist" }, el("legend", { class: "small", text: "Acceptance criteria — tick as you review" }),
        m.criteria.map((c, i) => el("label", { class: "radio" }, el("input", { type: "checkbox", name: `crit-${m.id}`, value: String(i) }), ` ${c}`)))
      : null;
    const cost = m.on_approve; // what approving moves, computed by the server from the ledger
    const confirm = el("button", { class: "button small primary", type: "button", text: `Confirm approval: you will owe ${shown(cost, "owed_after")}` });
    confirm.addEventListener("click", async () => {
      const action = `approve:${m.id}`;
      const key = this.key(action);
      const done = await this.act(confirm, error, () => api("POST", `/api/v1/milestones/${m.id}/approve`, {}, { "Idempotency-Key": key }), action);
      if (done) { this.open.delete(m.id); this.render(this.job); this.refresh(); }
    });
    return el("div", { class: "confirm-step" }, checks,
      el("p", { class: "small" }, `Approving “${m.title}” earns the freelancer ${shown(m)}`,
        cost.from_deposits ? `: ${shown(cost, "from_deposits")} of it comes from the up-front amount and ${shown(cost, "payable")} is added to what you owe.` : ", added to what you owe.",
        cost.owed_after !== cost.payable ? ` With what is still unpaid, you will owe ${shown(cost, "owed_after")} in all.` : ""),
      el("div", { class: "actions" }, confirm,
        el("button", { class: "button small", type: "button", text: "Back", onclick: () => this.back(m, "Approve") })));
  }

  changesForm(m, error) {
    const next = m.revisions_used + 1;
    const label = next <= m.revisions_included ? `This is revision ${next} of ${m.revisions_included}.`
      : `All ${m.revisions_included} included revisions are used: the freelancer may price this as extra work.`;
    const criteria = m.criteria.map((c, i) => el("label", { class: "radio" }, el("input", { type: "checkbox", value: String(i) }), ` ${c}`));
    const scope = el("input", { type: "checkbox" });
    return this.reasonForm({
      id: `changes-reason-error-${m.id}`, error, intro: label, label: "Reason", placeholder: "What should change?", maxlength: "5000",
      empty: "Say what should change.", send: { text: "Send change request", kind: "primary" },
      extra: [criteria.length ? el("fieldset", { class: "checklist" }, el("legend", { class: "small", text: "Which criteria is it about?" }), criteria) : null,
        el("label", { class: "radio small" }, scope, " This is new work, outside the agreed scope")],
      post: (reason) => api("POST", `/api/v1/milestones/${m.id}/request-changes`, {
        reason, out_of_scope: scope.checked,
        criteria: criteria.map((l) => l.querySelector("input")).filter((i) => i.checked).map((i) => Number(i.value)) }),
      done: () => { this.open.delete(m.id); this.refresh(); },
    });
  }

  // A step that asks why (a change request, a payment that did not arrive): the reason's own message
  // sits next to it, empty or as the server names it (`reason` in its error's fields); the box under
  // the step's buttons keeps the rest.
  reasonForm({ id, error, intro, label, placeholder, maxlength, empty, send: sendAs, extra = [], post, done }) {
    const reasonError = el("p", { class: "field-error", id, dataset: { field: "reason" }, hidden: true });
    const reason = el("textarea", { rows: "3", name: "reason", maxlength, placeholder, "aria-label": label, "aria-describedby": id });
    const send = el("button", { class: `button small ${sendAs.kind}`, type: "submit", text: sendAs.text });
    const form = el("form", { class: "form" }, el("p", { class: "small muted", text: intro }), reason, reasonError, ...extra,
      el("div", { class: "actions" }, send));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      fieldErrors(form, {});
      if (!reason.value.trim()) { error.hidden = true; fieldErrors(form, { reason: empty }); return; }
      let fields = {};
      const ok = await this.act(send, error, async () => {
        const result = await post(reason.value);
        fields = result.ok ? {} : result.error?.fields || {};
        return result;
      });
      if (ok) { done(); return; }
      if (fieldErrors(form, fields)) error.hidden = true;
    });
    return form;
  }

  priceForm(m, error) {
    const amount = el("input", { inputmode: "decimal", placeholder: this.placeholder(), "aria-label": `Price in ${this.currency}` });
    const send = el("button", { class: "button small primary", type: "submit", text: "Propose as a new version" });
    const form = el("form", { class: "form" },
      el("p", { class: "small", text: "Add the extra work to the agreement as a priced milestone. The client sees exactly what changes and accepts it." }),
      el("label", {}, `Price (${this.currency})`, amount), el("div", { class: "actions" }, send));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const minor = parseMajor(amount.value, this.exponent);
      if (!minor) { error.textContent = this.unitsHint("Enter a price above zero"); error.hidden = false; return; }
      const done = await this.act(send, error, () => api("POST", `/api/v1/milestones/${m.id}/change-order`, { amount: minor }));
      if (done) location.href = `/jobs/${this.jobId}/agreement`;
    });
    return form;
  }

  cancelStep(m, error) {
    const agreeing = Boolean(m.cancel_requested_by); // the server offers "cancel" to the side that has not asked
    const go = el("button", { class: "button small danger", type: "button", text: agreeing ? "Yes, cancel it" : "Ask the other side" });
    go.addEventListener("click", async () => {
      const done = await this.act(go, error, () => api("POST", `/api/v1/milestones/${m.id}/cancel`, {}));
      if (done) { this.open.delete(m.id); this.refresh(); }
    });
    return el("div", { class: "confirm-step" },
      el("p", { class: "small", text: agreeing ? `Cancel “${m.title}”? Nothing will be owed for it.` : `Cancelling needs both sides. The other side will be asked to agree.` }),
      el("div", { class: "actions" }, go, el("button", { class: "button small", type: "button", text: "Back", onclick: () => this.back(m, agreeing ? "Agree to cancel" : "Ask to cancel") })));
  }

  // ------------------------------------------------------------ balance and payments

  renderBalance() {
    const { job } = this;
    if (!job.agreement) { this.balanceRoot.closest("section").hidden = true; return; }
    this.balanceRoot.closest("section").hidden = false;
    const b = job.balances;
    // "1,000.00 HUF": the number never breaks; in a narrow box the code wraps under it. Each figure
    // is its own box in a grid whose columns are as wide as the widest figure needs.
    const amountText = (text) => { const cut = text.lastIndexOf(" "); return cut < 0 ? [text] : [el("span", { class: "money", text: text.slice(0, cut) }), " ", el("span", { class: "money currency", text: text.slice(cut + 1) })]; };
    const figure = (label, key, cls = "") => el("div", { class: `figure ${cls}` }, el("dt", { text: label }), el("dd", {}, amountText(shown(b, key))));
    // Whose money it is: the client owes it, it is owed to the freelancer; others see it plainly.
    const owedLabel = { client: "You owe", freelancer: "Owed to you" }[job.role] || "Owed now";
    const parts = [el("dl", { class: "figures" },
      figure(owedLabel, "owed", b.owed ? "owed" : ""), figure("Paid", "paid"), figure("Credit", "credit"),
      figure("Agreed total", "agreed"), figure("Up front", "upfront_requested"), figure("Approved", "approved"))];
    if (b.pending) {
      parts.push(el("p", { class: "small muted", text: job.role === "freelancer"
        ? `${shown(b, "pending")} sent to you, waiting for you to confirm it arrived.`
        : `${shown(b, "pending")} sent, waiting for the freelancer to confirm.` }));
    }
    if ((b.actions || []).includes("pay")) parts.push(this.paymentForm(b));
    if (job.payments.length) parts.push(el("h3", { text: "Payments" }), el("ul", { class: "payments" }, job.payments.slice().reverse().map((p) => this.payment(p))));
    if ((job.invoices || []).length) parts.push(this.invoices(job.invoices));
    parts.push(el("p", { class: "small downloads" }, el("a", { href: `/api/v1/jobs/${this.jobId}/statement.pdf`, text: "Download statement (PDF)" }),
      " · ", el("a", { class: "dossier-link", href: `/jobs/${this.jobId}/dossier.zip`, download: "", text: "Download the record (dossier.zip)" })));
    this.balanceRoot.replaceChildren(...parts);
  }

  unitsHint(start) {
    const places = this.exponent ? `up to ${this.exponent} decimal place${this.exponent === 1 ? "" : "s"}` : "no decimals";
    return `${start}, in ${this.currency} (${places}).`;
  }

  paymentForm(b) {
    const error = el("p", { class: "field-error", hidden: true });
    const amount = el("input", { inputmode: "decimal", placeholder: this.placeholder(), "aria-label": `Amount (${this.currency})` });
    const method = el("select", { "aria-label": "Method" }, METHODS.map(([v, l]) => el("option", { value: v, text: l })));
    const reference = el("input", { placeholder: "e.g. the transfer's ID", maxlength: "200" });
    // A refresh (any room event) redraws this form: keep what the person typed, else the server's
    // major-unit text for what can be paid now.
    const draft = this.payDraft || {};
    amount.value = draft.amount ?? b.major.payable;
    method.value = draft.method ?? method.value;
    reference.value = draft.reference ?? (this.job.payment_instructions?.reference || "");  // the invoice to quote
    const keep = () => { this.payDraft = { amount: amount.value, method: method.value, reference: reference.value }; };
    for (const input of [amount, method, reference]) input.addEventListener("input", keep);
    const send = el("button", { class: "button small primary", type: "submit", text: "Record payment" });
    const form = el("form", { class: "form pay-form" }, el("h3", { text: "Record a payment" }),
      this.instructions(this.job.payment_instructions),
      el("div", { class: "grid-2" }, el("label", {}, `Amount (${this.currency})`, amount), el("label", {}, "Method", method)),
      el("label", {}, "Reference (optional)", reference), el("div", { class: "actions" }, send), error);
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const minor = parseMajor(amount.value, this.exponent);
      if (!minor) { error.textContent = this.unitsHint("Enter an amount above zero"); error.hidden = false; return; }
      const action = `pay:${minor}:${method.value}:${reference.value}`;
      const key = this.key(action);
      const done = await this.act(send, error, () => api("POST", `/api/v1/jobs/${this.jobId}/payments`,
        { amount: minor, method: method.value, reference: reference.value }, { "Idempotency-Key": key }), action);
      if (done) { this.payDraft = null; this.refresh(); }
    });
    return form;
  }

  // Where to pay: the freelancer's ways to be paid, and the invoice number to quote with the amount owed.
  instructions(pi) {
    if (!pi) return null;
    const rows = (pi.methods || []).map((m) => el("li", {},
      el("span", { class: "pay-kind", text: m.kind_label }), " ",
      el("span", { class: "pay-value", text: m.value }), m.label ? el("span", { class: "muted", text: ` (${m.label})` }) : null));
    return el("div", { class: "pay-instructions" },
      rows.length ? el("p", { class: "small", text: `Pay ${pi.payee || "the freelancer"} by:` }) : el("p", { class: "small muted", text: "The freelancer has not said how to be paid yet: ask in the chat." }),
      rows.length ? el("ul", { class: "pay-methods" }, rows) : null,
      pi.reference ? el("p", { class: "small pay-reference" }, "Quote ", el("strong", { text: pi.reference }), ", the newest invoice, as the reference",
        pi.display?.owed ? `: ${pi.display.owed} is owed in all (it may cover earlier invoices too).` : ".") : null);
  }

  invoices(list) {
    const kind = { invoice: "Invoice", credit_note: "Credit note" };
    return el("div", { class: "invoices" }, el("h3", { text: "Invoices" }),
      el("ul", { class: "invoice-list" }, list.map((i) => el("li", { class: `invoice invoice-${i.kind}`, dataset: { invoice: i.number } },
        el("a", { href: i.pdf_url, target: "_blank", rel: "noopener", "aria-label": `${kind[i.kind] || i.kind} ${i.number} (PDF)` }, el("strong", { text: i.number })),
        el("span", { class: "small muted" }, " ", timeNode(i.issued_at, "date")),
        el("span", { class: "money invoice-total", text: i.display.total })))));
  }

  payment(p) {
    const error = el("p", { class: "field-error", hidden: true });
    const item = el("li", { class: `payment payment-${p.status}`, dataset: { paymentId: p.id } },
      el("div", { class: "payment-head" }, el("strong", { class: "money", text: shown(p) }),
        el("span", { class: `state state-${p.status === "confirmed" ? "paid" : p.status === "disputed" ? "cancelled" : "submitted"}`,
          text: { sent: "Sent", confirmed: "Confirmed", disputed: "Not received" }[p.status] })),
      el("div", { class: "small muted" }, `${p.method_label}${p.reference ? ` · ${p.reference}` : ""} · sent `, timeEl(p.sent_at)));
    if (p.status === "disputed") item.append(el("p", { class: "small warn-text", text: `Not received: ${p.dispute_reason}` }));
    else if (p.status === "confirmed" && p.dispute_reason) item.append(el("p", { class: "small muted", text: "Marked not received at first; it arrived later." }));
    if (p.receipt_url) item.append(el("a", { class: "small", href: p.receipt_url, text: "Receipt (PDF)" }));
    const actions = p.actions || [];
    if (!actions.includes("confirm")) return item;
    const ok = el("button", { class: "button small primary", type: "button", text: p.status === "disputed" ? "It arrived after all" : "Confirm received" });
    ok.addEventListener("click", async () => {
      const action = `confirm:${p.id}`;
      const key = this.key(action);
      if (await this.act(ok, error, () => api("POST", `/api/v1/payments/${p.id}/confirm`, {}, { "Idempotency-Key": key }), action)) this.refresh();
    });
    if (!actions.includes("dispute")) {
      item.append(el("div", { class: "actions" }, ok), error);
      return item;
    }
    const step = `payment:${p.id}`; // the "Not received" step, kept open across redraws like a milestone's
    const opened = this.open.get(step) === "not_received";
    const no = el("button", { class: "button small danger", type: "button", text: "Not received", "aria-expanded": String(opened) });
    no.addEventListener("click", () => {
      this.open.set(step, opened ? null : "not_received");
      this.renderBalance();
      this.balanceRoot.querySelector(`[data-payment-id="${p.id}"] ${opened ? "button.danger" : "textarea"}`)?.focus();
    });
    item.append(el("div", { class: "actions" }, ok, no));
    if (opened) item.append(this.notReceivedForm(p, error, step));
    item.append(error);
    return item;
  }

  // Why the money did not arrive, in the page (the client sees it).
  notReceivedForm(p, error, step) {
    return this.reasonForm({
      id: `not-received-error-${p.id}`, error, intro: "The client sees your reason.", label: "What is wrong with this payment?",
      placeholder: "e.g. Nothing has reached my account yet", maxlength: "2000", empty: "Say what is wrong with this payment.",
      send: { text: "Tell the client it did not arrive", kind: "danger" },
      post: (reason) => api("POST", `/api/v1/payments/${p.id}/dispute`, { reason }),
      done: () => { this.open.delete(step); this.refresh(); },
    });
  }

  // ------------------------------------------------------------ review

  renderReview() {
    const root = this.reviewRoot;
    if (!root) return;
    const section = root.closest("section");
    if (this.job.status !== "completed" || !["client", "freelancer"].includes(this.job.role)) { section.hidden = true; return; }
    section.hidden = false;
    if (this.job.my_review) {
      const { rating, text } = this.job.my_review;
      root.replaceChildren(el("p", { class: "small", text: text?.trim() ? `You left ${rating} of 5 stars: “${text.trim()}”` : `You left ${rating} of 5 stars.` }));
      return;
    }
    const error = el("p", { class: "field-error", hidden: true });
    const stars = el("div", { class: "stars", role: "radiogroup", "aria-label": "Rating" },
      [5, 4, 3, 2, 1].map((n) => el("label", { class: "radio" }, el("input", { type: "radio", name: "rating", value: String(n), checked: n === 5,
        "aria-label": `${n} star${n === 1 ? "" : "s"}` }), el("span", { "aria-hidden": "true", text: ` ${"★".repeat(n)}` }))));
    const text = el("textarea", { rows: "3", maxlength: "2000", placeholder: this.job.role === "client" ? "How was working with the freelancer?" : "How was working with this client?", "aria-label": "Review" });
    const consent = this.job.role === "client" ? el("label", { class: "radio small" }, el("input", { type: "checkbox", name: "consent" }), " Show my name with this review on the freelancer's public profile") : null;
    const send = el("button", { class: "button small primary", type: "submit", text: "Post review" });
    const form = el("form", { class: "form" }, stars, text, consent, el("div", { class: "actions" }, send), error);
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const rating = Number(form.querySelector("input[name=rating]:checked").value);
      const body = { rating, text: text.value, consent_to_name: Boolean(form.querySelector("input[name=consent]")?.checked) };
      if (await this.act(send, error, () => api("POST", `/api/v1/jobs/${this.jobId}/reviews`, body))) this.refresh();
    });
    root.replaceChildren(form);
  }
}
