// Disputes on the room page: the banner at the top for each open dispute (who disputed what and why,
// what happens now, the latest proposal, and Accept / Propose / Withdraw as this person may), and the
// "Dispute" step on a milestone. Everything comes from the job view (`disputes`, each with the
// `actions` the server allows this person, and `pending.actions` for accepting); the room's dispute.*
// events refetch it, so the other side's banner changes live. Every POST carries an Idempotency-Key
// made when the step opens and kept until it succeeds, so a double click or a retry acts once.
import { api } from "./http.js";
import { el, fieldErrors } from "./dom.js";
import { parseMajor, shown } from "./money.js";
import { dayEnd, timeNode } from "./time.js";
import { forgetTyped } from "./keep-focus.js";

const newKey = () => (crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`);
const SIDE = { client: "The client", freelancer: "The freelancer", mediator: "The mediator" };
// Who did it, from this person's side: "You" only for the very person (a colleague client who opened
// the dispute is "The client" to the other client).
const side = (role, me, userId) => (userId === me.id ? "You" : SIDE[role] || role);

// "pay 200.00 EUR of 300.00 EUR (the rest cancelled)" / "a new due date … and one more revision".
export function terms(p, d) {
  if (p.kind === "amount") {
    const whole = p.amount === d.milestone_amount;
    return [el("strong", { text: `${p.amount_display}` }), whole ? " to the freelancer: the whole milestone."
      : p.amount === 0 ? " to the freelancer: the milestone is cancelled." : ` to the freelancer of ${shown(d, "milestone_amount")}; the rest is cancelled.`];
  }
  return ["one more revision, due ", timeNode(dayEnd(p.due), "deadline"), "."];
}

// A closed dispute, on its milestone: how it ended ("Dispute resolved Dec 2, 2026: 200.00 EUR to the
// freelancer." / "…: one more revision, due …" / "Dispute withdrawn …"); the whole story is in the timeline.
export function closedNote(d) {
  const accepted = (d.proposals || []).find((p) => p.state === "accepted");
  const head = [d.state === "resolved" ? "Dispute resolved " : "Dispute withdrawn ", timeNode(d.closed_at || d.opened_at, "date")];
  let outcome = ".";
  if (d.state === "resolved" && accepted?.kind === "amount") outcome = [": ", el("strong", { text: accepted.amount_display }), " to the freelancer."];
  else if (d.state === "resolved" && accepted) outcome = [": ", ...terms(accepted, d)]; // one more revision, due …
  return el("p", { class: "small muted dispute-closed", dataset: { disputeId: d.id } }, ...head, ...[outcome].flat());
}

// Who a pending proposal still waits for, in words.
function waitingFor(p, me) {
  const order = ["freelancer", "client"];
  const left = p.needs.filter((r) => !p.accepted_by.includes(r)).sort((a, b) => order.indexOf(a) - order.indexOf(b));
  if (!left.length) return "";
  return ` Waiting for ${left.map((r) => (r === me.role ? "you" : `the ${r}`)).join(" and ")} to accept.`;
}

export class Disputes {
  constructor({ root, me, job, onChanged = () => {} }) {
    this.root = root;
    this.me = me;
    this.jobId = job;
    this.onChanged = onChanged; // after an action: refetch the job (the events do it for everyone else)
    this.open = new Map(); // dispute id -> "propose" | "withdraw"
    this.keys = new Map();
    this.job = null;
  }

  key(action) {
    if (!this.keys.has(action)) this.keys.set(action, newKey());
    return this.keys.get(action);
  }

  async post(button, error, path, body, action) {
    button.disabled = true;
    error.hidden = true;
    const result = await api("POST", path, body, { "Idempotency-Key": this.key(action) });
    button.disabled = false;
    if (!result.ok) {
      const fields = Object.values(result.error?.fields || {});
      error.textContent = [result.error?.message || "That did not work.", ...fields].join(" ");
      error.hidden = false;
      if (result.status && result.status < 500) this.keys.delete(action);
      return null;
    }
    this.keys.delete(action);
    forgetTyped(button);
    return result;
  }

  render(job) {
    this.job = job;
    const open = (job.disputes || []).filter((d) => d.state === "open");
    this.root.hidden = !open.length;
    this.root.replaceChildren(...open.map((d) => this.banner(d)));
  }

  banner(d) {
    const { me } = this;
    const p = d.pending;
    const mine = p && (p.actions || []).includes("accept");
    const who = side(d.opened_by_role, me, d.opened_by);
    const box = el("section", { class: `dispute-banner${mine ? " is-urgent" : ""}`, dataset: { disputeId: d.id, step: `dispute-${d.id}` },
      "aria-labelledby": `dispute-title-${d.id}` });
    box.append(
      el("h2", { class: "dispute-title", id: `dispute-title-${d.id}` },
        `${who} disputed “${d.milestone_title}”`, el("span", { class: "muted small" }, " · ", timeNode(d.opened_at, "ago", "ago"))),
      el("p", { class: "dispute-reason", text: d.reason, title: d.reason }),
      el("p", { class: "small dispute-now", text: "The milestone is frozen while the dispute is open: no approval, resubmission, cancelling or automatic approval. "
        + "Either side, or a mediator, proposes a resolution; once it is accepted the money moves and the dispute closes." }));
    box.append(...this.mediatorNotes());
    if (p) {
      box.append(el("p", { class: "dispute-proposal" },
        el("span", { class: "muted", text: `Latest proposal, by ${p.proposed_by === me.id ? "you" : `the ${p.proposer_role}`}: ` }),
        terms(p, d), p.note ? ` “${p.note}”` : "", el("span", { class: "small", text: waitingFor(p, me) })));
    } else {
      box.append(el("p", { class: "small muted dispute-proposal", text: "No resolution proposed yet." }));
    }
    // A phone shows the banner short (the proposal in two lines, no reason): this opens it whole.
    const more = el("button", { class: "link small dispute-more", type: "button", text: "Read it all", "aria-expanded": "false" });
    more.addEventListener("click", () => {
      const open = box.classList.toggle("expanded");
      more.setAttribute("aria-expanded", String(open));
      more.textContent = open ? "Show less" : "Read it all";
    });
    box.querySelector(".dispute-title").append(" ", more); // on the title's line: the chat keeps its room
    const error = el("p", { class: "field-error", role: "alert", hidden: true });
    const actions = new Set(d.actions || []);
    const step = this.open.get(d.id);
    const buttons = el("div", { class: "actions dispute-actions" });
    if (mine) {
      const accept = el("button", { class: "button small primary", type: "button", text: "Accept this resolution" });
      accept.addEventListener("click", async () => {
        if (await this.post(accept, error, `/api/v1/dispute-proposals/${p.id}/accept`, {}, `accept:${p.id}`)) this.onChanged();
      });
      buttons.append(accept);
    }
    const toggle = (name) => () => { this.open.set(d.id, step === name ? null : name); this.render(this.job); this.focus(d.id); };
    if (actions.has("propose")) buttons.append(el("button", { class: `button small${mine ? "" : " primary"}`, type: "button", text: p ? "Propose something else" : "Propose a resolution", "aria-expanded": String(step === "propose"), onclick: toggle("propose") }));
    if (actions.has("withdraw")) buttons.append(el("button", { class: "button small", type: "button", text: "Withdraw", "aria-expanded": String(step === "withdraw"), onclick: toggle("withdraw") }));
    if (buttons.children.length) box.append(buttons);
    if (step === "propose" && actions.has("propose")) box.append(this.proposeForm(d, error));
    if (step === "withdraw" && actions.has("withdraw")) box.append(this.withdrawStep(d, error));
    box.append(error);
    return box;
  }

  // Where the terms make mediation binding: whether each mediator binds yet (both sides agreed to them),
  // and "Agree to … as mediator" for a side that has not (services/mediators.py).
  mediatorNotes() {
    if (!this.job.agreement?.terms?.mediation_binding) return [];
    return (this.job.mediators || []).map((m) => {
      const mine = m.user.id === this.me.id;
      const missing = ["freelancer", "client"].filter((r) => !m.agreed_by.includes(r)).map((r) => (r === this.me.role ? "you" : `the ${r}`));
      const note = el("p", { class: "small mediator-note", dataset: { mediator: m.user.id } }, m.binding
        ? (mine ? "As mediator, you settle this: both sides agreed to you and the terms make a mediator's resolution binding."
          : `${m.user.name}, as mediator, settles this: both sides agreed to them and the terms make a mediator's resolution binding.`)
        : `The terms make a mediator's resolution binding, but only once both sides agree to the mediator: ${mine ? "your" : `${m.user.name}'s`} proposals need acceptance until ${missing.join(" and ")} ${missing.length > 1 || missing[0] === "you" ? "agree" : "agrees"}.`);
      if ((m.actions || []).includes("agree")) {
        const error = el("span", { class: "field-error", role: "alert", hidden: true });
        const agree = el("button", { class: "button small", type: "button", text: `Agree to ${m.user.name} as mediator` });
        agree.addEventListener("click", async () => {
          if (await this.post(agree, error, `/api/v1/jobs/${this.jobId}/mediators/${m.user.id}/agree`, {}, `agree:${m.user.id}`)) this.onChanged();
        });
        note.append(" ", agree, error);
      }
      return note;
    });
  }

  focus(id) {
    this.root.querySelector(`[data-dispute-id="${id}"] form input, [data-dispute-id="${id}"] .dispute-step button`)?.focus();
  }

  proposeForm(d, error) {
    const kinds = d.kinds || ["amount"];
    const name = `kind-${d.id}`;
    const radio = (value, text) => el("label", { class: "radio" }, el("input", { type: "radio", name, value, checked: value === "amount" }), ` ${text}`);
    const amount = el("input", { inputmode: "decimal", name: "amount", placeholder: d.exponent ? `0.${"0".repeat(d.exponent)}` : "0", "aria-describedby": `amount-hint-${d.id}` });
    const due = el("input", { type: "date", name: "due" });
    const note = el("textarea", { name: "note", rows: "2", maxlength: "5000", placeholder: "Why this is fair (optional)" });
    const amountRow = el("label", { class: "dispute-amount" }, `Amount to the freelancer (${d.currency})`, amount,
      el("span", { class: "small muted", id: `amount-hint-${d.id}`, text: `From 0 to ${shown(d, "milestone_amount")}; the rest is cancelled.` }));
    const dueRow = el("label", { class: "dispute-due", hidden: true }, "New due date (one more revision)", due);
    const send = el("button", { class: "button small primary", type: "submit", text: "Send proposal" });
    const form = el("form", { class: "form dispute-form", "aria-label": "Propose a resolution" },
      kinds.length > 1 ? el("fieldset", { class: "radio-row" }, el("legend", { class: "small", text: "Resolve by" }),
        radio("amount", "an amount"), radio("revision", "a new due date")) : null,
      amountRow, dueRow, el("label", {}, "Note", note), el("div", { class: "actions" }, send));
    form.addEventListener("change", () => {
      const kind = form.querySelector(`input[name="${name}"]:checked`)?.value || "amount";
      amountRow.hidden = kind !== "amount";
      dueRow.hidden = kind !== "revision";
    });
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const kind = form.querySelector(`input[name="${name}"]:checked`)?.value || "amount";
      const body = { kind, note: note.value };
      if (kind === "amount") {
        const minor = parseMajor(amount.value, d.exponent);
        if (minor === null || minor > d.milestone_amount) {
          error.textContent = `Enter an amount from 0 to ${shown(d, "milestone_amount")}, in ${d.currency}.`;
          error.hidden = false;
          amount.focus();
          return;
        }
        body.amount = minor;
      } else {
        if (!due.value) { error.textContent = "Pick the new due date."; error.hidden = false; due.focus(); return; }
        body.due = due.value;
      }
      const action = `propose:${d.id}:${JSON.stringify(body)}`;
      if (await this.post(send, error, `/api/v1/disputes/${d.id}/proposals`, body, action)) {
        this.open.delete(d.id);
        this.onChanged();
      }
    });
    return form;
  }

  withdrawStep(d, error) {
    const yes = el("button", { class: "button small danger", type: "button", text: "Withdraw the dispute" });
    yes.addEventListener("click", async () => {
      if (await this.post(yes, error, `/api/v1/disputes/${d.id}/withdraw`, {}, `withdraw:${d.id}`)) {
        this.open.delete(d.id);
        this.onChanged();
      }
    });
    return el("div", { class: "dispute-step confirm-step" },
      el("p", { class: "small", text: `“${d.milestone_title}” carries on where it was (${d.milestone_state === "approved" ? "approved" : "in review"}); nothing moves.` }),
      el("div", { class: "actions" }, yes,
        el("button", { class: "button small", type: "button", text: "Back", onclick: () => { this.open.delete(d.id); this.render(this.job); } })));
  }
}

// The "Dispute" step on a milestone (money-panel.js draws it when the milestone offers `dispute`).
export function disputeForm({ milestone, error, keyFor, done }) {
  // The reason's own message sits next to it (the server names it `reason` in its error's fields).
  const reasonError = el("p", { class: "field-error", id: `dispute-reason-error-${milestone.id}`, dataset: { field: "reason" }, hidden: true });
  const reason = el("textarea", { rows: "3", maxlength: "5000", name: "reason", placeholder: "What is wrong? Both sides and any mediator see this.", "aria-label": "Reason for the dispute",
    "aria-describedby": reasonError.id });
  const send = el("button", { class: "button small danger", type: "submit", text: "Open the dispute" });
  const form = el("form", { class: "form" },
    el("p", { class: "small muted", text: `Disputing freezes “${milestone.title}”: no approval, resubmission or automatic approval until you both agree on a resolution (or you withdraw it).` }),
    reason, reasonError, el("div", { class: "actions" }, send));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    fieldErrors(form, {});
    error.hidden = true;
    if (!reason.value.trim()) { fieldErrors(form, { reason: "Say what is wrong." }); return; }
    const action = `dispute:${milestone.id}`;
    send.disabled = true;
    const result = await api("POST", `/api/v1/milestones/${milestone.id}/disputes`, { reason: reason.value }, { "Idempotency-Key": keyFor(action) });
    send.disabled = false;
    if (!result.ok) {
      const fields = result.error?.fields || {};
      // A field the form shows gets its message next to it; the line under the button keeps the rest.
      if (fieldErrors(form, fields)) return;
      error.textContent = result.error?.message || "That did not work.";
      error.hidden = false;
      return;
    }
    forgetTyped(send);
    done(action);
  });
  return form;
}
