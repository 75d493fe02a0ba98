// "Needs you now": the one bar at the top of the room that says what this person should do next
// (review a submission, confirm or record a payment, accept terms, leave a review) with a button
// that takes them there; once the job is complete it is the completion banner, with "Leave a review"
// as its button until this person has left one. Everything comes from the job view the server computed for this person:
// each milestone's and payment's `actions`, the balances' `actions`, who terms await and my review.
import { el, duration } from "./dom.js";
import { shown } from "./money.js";

// Terms wait for me unless I already accepted them (a joining client who accepted waits for admission).
const awaits = (agreement, me) => Boolean(agreement?.awaiting?.some((a) => a.user.id === me.id && !a.accepted));

// What `me` needs to do now in `job`, most urgent first. `go` says where the button leads:
// {href: "agreement" | "invites"} for another page, or {panel, milestone?, step?, payment?, target?} in this room.
export function nextSteps(job, me) {
  const steps = [];
  const pending = job.pending_agreement;
  if (awaits(pending, me)) {
    steps.push({ id: `terms-${pending.version}`, label: "Review the terms", go: { href: "agreement" },
      text: [el("strong", { text: `Version ${pending.version} of the terms` }), ` (proposed by ${pending.proposed_by.name}) waits for your acceptance.`] });
  } else if (awaits(job.agreement, me)) {
    steps.push({ id: `join-${job.agreement.version}`, label: "Review and accept", go: { href: "agreement" },
      text: [el("strong", { text: "Accept the terms in force" }), " to post, approve and pay in this job."] });
  }
  const terms = pending || job.agreement;
  if (terms && job.role === "freelancer" && job.status !== "completed"
      && !job.members.some((m) => m.role === "client" || m.role === "client_pending")) {
    steps.push({ id: "invite", label: "Invite your client", go: { href: "invites" },
      text: [el("strong", { text: "Your client is not here yet." }), pending
        ? ` Send them the invitation link: they review version ${pending.version} of the terms and accept it.`
        : " Send them the invitation link to join this job."] });
  }
  for (const joining of job.agreement?.awaiting || []) {
    if (!(joining.actions || []).includes("admit")) continue;
    steps.push({ id: `admit-${joining.user.id}`, label: "Review who joins", go: { href: "agreement" },
      text: [el("strong", { text: joining.user.name }), " wants to join as a client: admit them to let them approve and pay."] });
  }
  // An open dispute is not repeated here: its banner, just above, is that call to action (red and with
  // its Accept button when a proposal waits for me), and on a phone two bars would leave no room to chat.
  for (const m of job.milestones) {
    const may = new Set(m.actions || []);
    const title = `“${m.title}”`;
    if (may.has("approve")) {
      const left = m.review_due_at ? Date.parse(m.review_due_at) - Date.now() : null;
      steps.push({ id: `review-${m.id}`, label: "Review the submission", go: { panel: "panel-work", milestone: m.id, step: "approve" },
        text: [el("strong", { text: title }), ` (${shown(m)}) waits for your review`, left > 0 ? `; it is approved automatically in ${duration(left)}.` : "."] });
    } else if (may.has("cancel") && m.cancel_requested_by) {
      steps.push({ id: `cancel-${m.id}`, label: "Answer", go: { panel: "panel-work", milestone: m.id, step: "cancel" },
        text: [`The ${m.cancel_requested_by} asked to cancel `, el("strong", { text: title }), "."] });
    } else if (may.has("submit") && m.state === "changes_requested") {
      steps.push({ id: `changes-${m.id}`, label: may.has("price") ? "See the request" : "Resubmit", go: { panel: "panel-work", milestone: m.id, step: may.has("price") ? null : "submit" },
        text: ["Changes were requested on ", el("strong", { text: title }), "."] });
    }
  }
  for (const p of job.payments) {
    if (!(p.actions || []).includes("confirm")) continue;
    steps.push({ id: `payment-${p.id}`, label: "Confirm the payment", go: { panel: "panel-work", payment: p.id },
      text: [el("strong", { text: shown(p) }), ` was sent to you (${p.method_label}): confirm when it arrives.`] });
  }
  const b = job.balances;
  if ((b.actions || []).includes("pay")) {
    steps.push({ id: "pay", label: "Record a payment", go: { panel: "panel-work", target: ".pay-form" },
      text: ["You owe ", el("strong", { text: shown(b, "payable") }), ". Record it here once you have sent it."] });
  }
  // Money is agreed but the client has no way to pay yet: the freelancer's details (this job's or the
  // account's) are what "Record a payment" shows the client.
  if (terms && job.role === "freelancer" && job.status !== "completed" && terms.total > 0
      && !(job.payment_instructions?.methods || []).length) {
    steps.push({ id: "payment-details", label: "Add how to pay you", go: { panel: "panel-info", target: ".billing-card" },
      text: [el("strong", { text: "Tell your client how to pay you." }), " Add a bank account, PayPal or a payment link: they see it when they pay."] });
  }
  if (job.status === "completed" && ["client", "freelancer"].includes(job.role) && !job.my_review) {
    steps.push({ id: "review", label: "Leave a review", go: { panel: "panel-work", target: ".review-card" },
      text: [el("strong", { text: "The job is complete." }), " Say how it went."] });
  }
  return steps;
}

// A completed job says so at the top, in this same bar (so the banner and the review step are one
// row with one button): what is left to do there is the review, if this person has not left it.
function completion(job, steps) {
  const review = steps.find((s) => s.id === "review");
  const text = [el("strong", { text: "The job is complete." }), " Every milestone is paid."];
  if (review) text.push(" Say how it went.");
  else if (job.my_review) text.push(" Thank you for your review.");
  return { id: "completed", text, button: review, rest: steps.filter((s) => s !== review) };
}

export class CallToAction {
  constructor({ root, me, go }) {
    this.root = root;
    this.me = me;
    this.urls = { agreement: root.dataset.agreementUrl, invites: root.dataset.invitesUrl }; // a step's `go.href`
    this.go = go; // (go) takes the person to that place in the room
  }

  // The most urgent step in full; any others as buttons on one line under it.
  // A completed job: the completion banner first, the review its button.
  render(job) {
    const steps = nextSteps(job, this.me);
    const done = job.status === "completed" ? completion(job, steps) : null;
    const first = done || steps[0];
    const more = done ? done.rest : steps.slice(1);
    this.root.hidden = !first;
    this.root.classList.toggle("cta-complete", Boolean(done));
    if (!first) { this.root.replaceChildren(); return; }
    const button = done ? done.button : first;
    const rows = [el("p", { class: "cta-item", dataset: { step: first.id } },
      el("span", { class: "cta-text" }, first.text), button ? this.button(button, "button small primary") : null)];
    if (more.length) {
      rows.push(el("p", { class: "cta-more small" }, el("span", { class: "muted", text: "Also: " }),
        more.flatMap((step, i) => [i ? " · " : "", this.button(step, "link", step.text)])));
    }
    this.root.replaceChildren(...rows);
  }

  button(step, cls, describe = null) {
    const props = { class: cls, dataset: { step: step.id }, title: describe ? describe.map((p) => (typeof p === "string" ? p : p.textContent)).join("") : null };
    return step.go.href
      ? el("a", { ...props, href: this.urls[step.go.href], text: step.label })
      : el("button", { ...props, type: "button", text: step.label, onclick: () => this.go(step.go) });
  }
}
