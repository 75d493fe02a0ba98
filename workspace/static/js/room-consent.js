// The agreement card's lists (drawn by the server) as news arrives: an acceptance ticks that person
// off; an admission takes a joining client off the waiting list. Each returns the id of a person who
// became a client by it (or null), and tells this person to reload when it is them.
import { el } from "./dom.js";

// This page was drawn for someone following along; a reload draws it for a client (composer, money).
function becameClient($) {
  const note = $("terms-changed");
  note.replaceChildren("You are now a client of this job: ", el("a", { href: location.pathname, text: "reload the page" }),
    " to post, approve and pay.");
  note.hidden = false;
}

export function markAccepted(event, me, $) {
  const d = event.data;
  const who = event.actor?.id;
  const item = document.querySelector(`.consent[data-version="${d.version}"] li[data-user="${who}"]`);
  if (item) {
    item.className = "accepted";
    item.firstElementChild?.replaceChildren("✓");
    item.querySelector(".consent-state")?.replaceChildren("accepted just now");
  }
  if (d.became_client && who === me.id) becameClient($);
  return d.became_client ? who : null;
}

// A client's admission of someone joining: once it makes them a client they leave the waiting list;
// the admitting client's own button goes (the others still see whose admission is missing).
export function markAdmitted(event, me, $) {
  const d = event.data;
  const item = document.querySelector(`.consent li[data-user="${d.user.id}"]`);
  if (d.became_client) {
    item?.remove();
    if (d.user.id === me.id) becameClient($);
    return d.user.id;
  }
  if (event.actor?.id === me.id) item?.querySelector("form")?.remove();
  return null;
}
