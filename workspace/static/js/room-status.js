// The connection line under the header: "Reconnecting…", "Catching up…", an error, or — when this
// tab's login ended — "You were logged out. Log in again", with what waits to be sent kept.
import { el } from "./dom.js";

export class ConnectionStatus {
  constructor({ box }) {
    this.box = box;
    this.wasDown = false;
    this.loggedOut = () => false; // whether the login ended (set by the room: login-watch.js)
    this.keeping = () => false; // whether something typed or unsent waits (set by the room: the composer)
    this.onLoggedOut = () => {}; // told once the tab says so (the composer marks what waits)
  }

  show(status, error) {
    const box = this.box;
    if (this.loggedOut() && ["reconnecting", "syncing"].includes(status)) return; // the reason stays in view
    if (status === "logged_out") {
      this.wasDown = true;
      const back = `/login?next=${encodeURIComponent(location.pathname + location.search)}`;
      box.replaceChildren("You were logged out. ", el("a", { href: back, text: "Log in again" }),
        this.keeping() ? " — what you wrote here is kept and sent once you are back." : "");
      box.className = "conn-status bad";
      box.hidden = false;
      this.onLoggedOut();
    } else if (status === "reconnecting") {
      this.wasDown = true;
      box.textContent = "Reconnecting…";
      box.className = "conn-status warn";
      box.hidden = false;
    } else if (status === "syncing") {
      if (this.wasDown) { box.textContent = "Catching up…"; box.hidden = false; }
    } else if (status === "live") {
      this.wasDown = false;
      box.hidden = true;
    } else if (status === "error") {
      box.textContent = error?.message || "Something went wrong.";
      if (error?.back) box.append(" ", el("a", { href: "/", text: "Back to my jobs" })); // e.g. removed from the job
      box.className = "conn-status bad";
      box.hidden = false;
    }
    document.body.dataset.connection = status;
  }
}
