// The room's phone layout: below the laptop breakpoint the room is four tabs (Chat, Milestones &
// money, Live, Info) with WAI-ARIA tab semantics and arrow keys; on a laptop every panel shows at
// once and the panels lose their tab roles. Hidden panels stay in the DOM, so live updates go on.
const LAPTOP = "(min-width: 1000px)";

export class RoomLayout {
  constructor({ tablist, grid, onShown = () => {} }) {
    this.tablist = tablist;
    this.grid = grid;
    this.onShown = onShown; // (panel id) after a panel becomes visible
    this.tabs = [...tablist.querySelectorAll("[role=tab]")];
    this.panels = this.tabs.map((tab) => document.getElementById(tab.getAttribute("aria-controls")));
    this.current = this.tabs[0];
    this.laptop = window.matchMedia(LAPTOP);
    for (const tab of this.tabs) tab.addEventListener("click", () => this.select(tab));
    tablist.addEventListener("keydown", (e) => this.onKey(e));
    this.laptop.addEventListener("change", () => this.apply());
    // live.js marks the grid `is-live` while a session runs; the Live tab then keeps the chat in view.
    new MutationObserver(() => this.apply()).observe(grid, { attributeFilter: ["class"] });
    // "Skip to writing a message", the keyboard's first stop: past the header, the tabs and every
    // message's buttons to the message box, on a phone showing the Chat tab first.
    document.getElementById("skip-to-composer")?.addEventListener("click", (e) => {
      e.preventDefault();
      this.show("panel-chat");
      document.getElementById("message-body")?.focus();
    });
    this.apply();
  }

  get phone() { return !this.laptop.matches; }

  // Shows the panel with this id (switching tabs on a phone); returns its element.
  show(panelId) {
    const tab = this.tabs.find((t) => t.getAttribute("aria-controls") === panelId);
    if (tab) this.select(tab);
    return document.getElementById(panelId);
  }

  select(tab, focus = false) {
    this.current = tab;
    this.apply();
    if (focus) tab.focus();
  }

  onKey(e) {
    const at = this.tabs.indexOf(document.activeElement);
    if (at < 0) return;
    const next = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: this.tabs.length - 1 }[e.key];
    if (next === undefined) return;
    e.preventDefault();
    this.select(this.tabs[(next + this.tabs.length) % this.tabs.length], true);
  }

  // Phone: one panel (the Live tab also keeps the chat under the video while someone is live, so
  // a client can watch and reply at once). Laptop: all panels, no tab roles.
  apply() {
    const phone = this.phone;
    const watching = this.current.id === "tab-live" && this.grid.classList.contains("is-live");
    this.tabs.forEach((tab, i) => {
      const selected = tab === this.current;
      tab.setAttribute("aria-selected", String(selected));
      tab.tabIndex = selected ? 0 : -1;
      const panel = this.panels[i];
      if (phone) {
        panel.setAttribute("role", "tabpanel");
        panel.setAttribute("aria-labelledby", tab.id);
        panel.hidden = !(selected || (watching && panel.id === "panel-chat"));
      } else {
        panel.removeAttribute("role");
        panel.removeAttribute("aria-labelledby");
        panel.hidden = false;
      }
    });
    this.grid.dataset.tab = phone ? this.current.id : "";
    for (const panel of this.panels) if (!panel.hidden) this.onShown(panel.id);
  }
}
