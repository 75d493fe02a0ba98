// The work panel's terms card as the job changes, without a reload: "Terms waiting" while a version
// waits for acceptance (who accepted it so far), gone once it is in force; "Next: the terms" (a
// freelancer with none yet) gone once a version is proposed. The server draws the first state.
import { el } from "./dom.js";
import { timeNode } from "./time.js";

const ROLE = { freelancer: "freelancer", client: "client", client_pending: "client, joining" };

// Who accepted the version and who it still waits for (as the server's consent list, so news of an
// acceptance ticks the same items: room-consent.js).
function consentList(version) {
  const accepted = version.acceptances.map((a) => el("li", { class: "accepted", dataset: { user: a.user.id } },
    el("span", { "aria-hidden": "true", text: "✓" }), ` ${a.user.name} (${ROLE[a.role] || a.role}) `,
    el("span", { class: "consent-state" }, "accepted ", timeNode(a.at, "ago"))));
  const awaiting = version.awaiting.filter((w) => !w.accepted).map((w) => el("li", { class: "awaiting", dataset: { user: w.user.id } },
    el("span", { "aria-hidden": "true", text: "…" }), ` ${w.user.name} (${ROLE[w.role] || w.role}) `,
    el("span", { class: "consent-state", text: "has not accepted yet" })));
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

export function renderTermsCards(job, panel) {
  const pending = job.pending_agreement;
  const shown = document.getElementById("terms-waiting");
  if (pending || job.agreement) document.getElementById("terms-next")?.remove();
  if (!pending) { shown?.remove(); return; }
  if (shown && shown.dataset.version === String(pending.version)) return; // news ticks its list (room-consent.js)
  const card = waitingCard(pending, panel.dataset.agreementUrl);
  if (shown) shown.replaceWith(card);
  else panel.prepend(card);
}
