// The terms cards as the job changes, without a reload. The work panel: "Terms waiting" while a
// version waits for acceptance (who accepted it so far), gone once it is in force; "Next: the terms" (a
// freelancer with none yet) gone once a version is proposed. The Info tab: "Agreement vN", the terms in
// force (as the server's terms_summary and consent_list draw them), there from the moment a version
// comes into force. The server draws the first state.
import { el } from "./dom.js";
import { keepFocus } from "./keep-focus.js";
import { dayEnd, timeNode } from "./time.js";

const ROLE = { freelancer: "freelancer", client: "client", client_pending: "client, joining" };

// Who accepted the version and who it still waits for (as the server's consent list, so news of an
// acceptance or an admission ticks the same items: room-consent.js). On the version in force, the
// clients still joining: whether they accepted it, whose admission they wait for, and this person's
// "Admit as client" button where the server offers it (`actions`; the same form as the server's).
function consentList(version, jobUrl) {
  const joining = version.awaiting.filter((w) => w.role === "client_pending");
  const item = (accepted, user, role, ...rest) => el("li", { class: accepted ? "accepted" : "awaiting", dataset: { user: user.id } },
    el("span", { "aria-hidden": "true", text: accepted ? "✓" : "…" }), ` ${user.name} (${ROLE[role] || role}) `, ...rest);
  const admission = (w) => [
    w.waiting_for?.length ? el("span", { class: "admission", text: ` · waiting for ${w.waiting_for.map((c) => `${c.name}'s`).join(", ")} admission` }) : null,
    (w.actions || []).includes("admit") && jobUrl ? el("form", { method: "post", class: "inline", action: `${jobUrl}members/${w.user.id}/admit` },
      el("input", { type: "hidden", name: "csrf_token", value: document.querySelector('meta[name="csrf-token"]')?.content || "" }),
      el("button", { class: "button small", type: "submit", text: "Admit as client" })) : null,
  ];
  const accepted = version.acceptances.filter((a) => !joining.some((w) => w.user.id === a.user.id)).map((a) =>
    item(true, a.user, a.role, el("span", { class: "consent-state" }, "accepted ", timeNode(a.at, "ago"))));
  const awaiting = version.awaiting.map((w) => (w.role === "client_pending" && w.accepted
    ? item(true, w.user, w.role, el("span", { class: "consent-state", text: "accepted" }), admission(w))
    : item(false, w.user, w.role, el("span", { class: "consent-state", text: "has not accepted yet" }), w.role === "client_pending" ? admission(w) : null)));
  return el("ul", { class: "consent", dataset: { version: version.version }, "aria-label": `Who has accepted version ${version.version}` },
    accepted, awaiting);
}

function waitingCard(pending, agreementUrl) {
  return el("section", { class: "card notice", id: "terms-waiting", dataset: { version: pending.version } },
    el("h2", { text: "Terms waiting" }),
    el("p", { text: `Version ${pending.version} was proposed by ${pending.proposed_by.name}. It comes into force once the freelancer and every client accept it.` }),
    consentList(pending),
    el("a", { class: "button primary", href: agreementUrl, text: "Review terms" }));
}

// The terms in force in brief, worded as the server's terms_summary macro (_macros.html; keep the two
// alike: tests/test_browser_info_terms.py compares them): money as the server formatted it, the deadline
// as the end of the agreed day in the viewer's zone.
function termsSummary(agreement) {
  const t = agreement.terms;
  const fact = (term, ...value) => el("div", {}, el("dt", { text: term }), el("dd", {}, ...value));
  const money = (term, ...value) => el("div", {}, el("dt", { text: term }), el("dd", { class: "money" }, ...value));
  return el("dl", { class: "facts" },
    fact("Deadline", timeNode(dayEnd(t.deadline), "deadline")),
    money("Total", agreement.display.total),
    money("Due up front", t.upfront.kind === "none" ? "Nothing" : agreement.display.upfront_due, t.upfront.kind === "all" ? " (everything)" : null),
    fact("Updates", `at least every ${t.update_every_hours} h`),
    fact("Review window", `${t.auto_approve_days} day${t.auto_approve_days === 1 ? "" : "s"}, then auto-approved`),
    fact("Mediation", t.mediation_binding ? "A mediator both sides agreed to settles disputes" : "A mediator proposes; both sides accept"));
}

function agreementCard(job, info) {
  const a = job.agreement;
  return el("section", { class: "card agreement-card", id: "agreement-card", dataset: { version: a.version }, "aria-labelledby": "agreement-title" },
    el("h2", { id: "agreement-title" }, "Agreement ", el("span", { class: "muted small", text: `v${a.version}` })),
    termsSummary(a),
    a.awaiting.length ? consentList(a, info.dataset.jobUrl) : null,
    el("a", { href: info.dataset.agreementUrl, text: job.role === "client_pending" ? "Review and accept the terms" : "Full terms" }));
}

// What the Info card shows (undefined until the first drawing): it is redrawn only when this changes.
let infoShows;

function renderAgreementCard(job, info) {
  if (!info) return;
  const a = job.agreement;
  const shows = JSON.stringify(a ? [job.role, a.version, a.terms, a.display, a.acceptances, a.awaiting] : null);
  const shown = document.getElementById("agreement-card");
  // The page's own view, drawn by the server already: keep its card.
  const first = infoShows === undefined && (shown?.dataset.version ?? null) === (a ? String(a.version) : null);
  if (first || shows === infoShows) { infoShows = shows; return; }
  infoShows = shows;
  if (!a) { shown?.remove(); return; }
  const card = agreementCard(job, info);
  keepFocus([info], () => { if (shown) shown.replaceWith(card); else info.prepend(card); });
}

export function renderTermsCards(job, panel) {
  renderAgreementCard(job, document.getElementById("panel-info"));
  const pending = job.pending_agreement;
  const shown = document.getElementById("terms-waiting");
  if (pending || job.agreement) document.getElementById("terms-next")?.remove();
  if (!pending) { shown?.remove(); return; }
  if (shown && shown.dataset.version === String(pending.version)) return; // news ticks its list (room-consent.js)
  const card = waitingCard(pending, panel.dataset.agreementUrl);
  if (shown) shown.replaceWith(card);
  else panel.prepend(card);
}
