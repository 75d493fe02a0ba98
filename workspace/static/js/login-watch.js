// Whether this tab's login still holds. The server cuts the sockets of a login that ended (logout in
// another tab, a revoked session, a changed password) and refuses them on reconnect; Socket.IO does
// not retry either, and neither says why. So when that happens we ask the server (GET /api/v1/me:
// 401 = logged out), tell the page, and, while logged out, look again now and then and whenever the
// tab comes back into view: once the same person is logged in again (in any tab), the socket
// reconnects with the new cookie and the page's CSRF token is renewed.
const RETRY_MS = 4000;

export class LoginWatch {
  constructor({ socket, me, onChange = () => {} }) {
    this.socket = socket;
    this.me = me;
    this.onChange = onChange; // ("logged_out" | "other_user" | "back" | "refused", detail)
    this.state = "in";
    this.timer = null;
    this.checking = false;
    socket.on("disconnect", (reason) => { if (reason === "io server disconnect") this.check(); });
    socket.on("connect_error", (error) => { if (!socket.active) this.check(error); });
    const look = () => { if (this.state !== "in" && document.visibilityState === "visible") this.check(); };
    document.addEventListener("visibilitychange", look);
    window.addEventListener("focus", look);
  }

  get loggedOut() { return this.state === "out"; }

  // Ask the server who this browser is now; react to the answer.
  async check(error = null) {
    if (this.checking) return;
    this.checking = true;
    clearTimeout(this.timer);
    let status = 0;
    let user = null;
    try {
      const response = await fetch("/api/v1/me", { credentials: "same-origin", headers: { Accept: "application/json" } });
      status = response.status;
      if (response.ok) user = (await response.json()).user;
    } catch { /* offline: look again later */ }
    this.checking = false;
    if (status === 401) { this.wait("out"); return; }
    if (user && user.id !== this.me.id) { this.wait("other", user); return; } // never send my words as theirs
    if (!user) { this.timer = setTimeout(() => this.check(error), RETRY_MS); return; } // offline, or a server error
    const was = this.state; // the same person is logged in
    this.state = "in";
    if (was !== "in") { await renewCsrf(); this.onChange("back", user); }
    if (this.socket.connected) return;
    if (error && was === "in") { // refused for another reason (too many tabs): say so, try again later
      this.onChange("refused", error);
      this.timer = setTimeout(() => this.socket.connect(), RETRY_MS);
    } else {
      this.socket.connect();
    }
  }

  // Logged out, or someone else logged in: tell the page once, and look again later.
  wait(state, detail) {
    if (this.state !== state) {
      this.state = state;
      this.onChange(state === "out" ? "logged_out" : "other_user", detail);
    }
    this.timer = setTimeout(() => this.check(), RETRY_MS);
  }
}

// A login starts a fresh session, and with it a new CSRF token: read it from a page of ours.
async function renewCsrf() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  if (!meta) return;
  try {
    const response = await fetch(location.pathname, { credentials: "same-origin" });
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const token = page.querySelector('meta[name="csrf-token"]')?.content;
    if (token) meta.content = token;
  } catch { /* keep the old one; an action will say if it is refused */ }
}
