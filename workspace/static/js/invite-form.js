// A client's "Invite someone" on the room's Info tab (the freelancer has the People page): a mediator,
// or a colleague as a client. POST /api/v1/jobs/<job>/invites answers the link once; it is shown here
// to copy and send. The server says who may invite whom.
import { api } from "./http.js";

export function inviteForm(form) {
  if (!form) return;
  const row = form.querySelector(".copy-row");
  const link = row.querySelector("input");
  const note = form.querySelector(".invite-note");
  const send = form.querySelector("button[type=submit]");
  row.querySelector("button").addEventListener("click", async () => {
    link.select();
    try { await navigator.clipboard.writeText(link.value); note.textContent = "Copied."; } catch { document.execCommand?.("copy"); }
  });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const role = form.querySelector("input[name=role]:checked").value;
    send.disabled = true;
    const result = await api("POST", form.dataset.url, { role });
    send.disabled = false;
    if (!result.ok) { note.textContent = result.error?.message || "That did not work."; return; }
    link.value = result.invite.url;
    row.hidden = false;
    note.textContent = `Send this link to your ${role === "mediator" ? "mediator" : "colleague"}. It works once and is shown only now.`;
    link.focus();
    link.select();
  });
}
