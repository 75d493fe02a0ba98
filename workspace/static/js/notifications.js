// The bell on every logged-in page: the unread count (badge and tab title), the latest notifications,
// live pushes on the person's own socket room, marking read, and opt-in browser notifications.
import { io } from "../vendor/socket.io.esm.min.js";
import { api } from "./http.js";
import { el, tickTimes, timeEl } from "./dom.js";

const $ = (id) => document.getElementById(id);
const OPT_IN = "workspace.browserNotifications"; // localStorage: "on" once the person turned them on here
const LATEST = 10;

const bell = $("bell");
const button = $("bell-button");
const panel = $("bell-panel");
const baseTitle = document.title.replace(/^\(\d+\+?\) /, "");
let unread = Number(bell?.dataset.unread || 0);
let latest = null; // newest first, once fetched; null = not fetched yet
let stale = true; // something may have changed since the last fetch

// ---------------------------------------------------------------- the count

const shown = (n) => (n > 99 ? "99+" : String(n));

function setCount(n) {
  unread = Math.max(0, Number(n) || 0);
  if (bell) {
    bell.dataset.unread = String(unread);
    $("bell-count").hidden = unread === 0;
    $("bell-count").textContent = shown(unread);
    button.setAttribute("aria-label", unread ? `Notifications, ${unread} unread` : "Notifications");
  }
  document.title = unread ? `(${shown(unread)}) ${baseTitle}` : baseTitle;
  for (const node of document.querySelectorAll("[data-unread-count]")) node.textContent = String(unread);
}

// ---------------------------------------------------------------- the dropdown

function itemNode(n) {
  return el("li", { class: `bell-item${n.read ? "" : " unread"}` },
    el("a", { href: n.url, dataset: { notificationId: n.id } },
      n.read ? null : el("span", { class: "unread-dot", "aria-hidden": "true" }),
      el("span", { class: "bell-item-text" },
        el("span", { class: "bell-item-title", text: n.title, title: n.title }), // at most two lines: all of it on hover
        n.body ? el("span", { class: "bell-item-body", text: n.body }) : null,
        timeEl(n.at))));
}

function render() {
  if (!bell || latest === null) return;
  $("bell-list").replaceChildren(...latest.map(itemNode));
  $("bell-empty").hidden = latest.length > 0;
  $("bell-mark-all").disabled = unread === 0;
}

let pushes = 0; // live pushes seen; a push during a fetch makes that fetch's snapshot old
async function refresh(tries = 3) {
  const before = pushes;
  const page = await api("GET", `/api/v1/notifications?limit=${LATEST}`);
  if (!page.ok) return;
  if (pushes !== before && tries > 1) { refresh(tries - 1); return; }
  latest = page.notifications;
  stale = false;
  setCount(page.unread);
  render();
}

function isOpen() {
  return bell && !panel.hidden;
}

function open() {
  panel.hidden = false;
  button.setAttribute("aria-expanded", "true");
  bell.classList.add("open");
  render();
  if (stale || latest === null) refresh();
}

function close({ focus = false } = {}) {
  if (!isOpen()) return;
  panel.hidden = true;
  button.setAttribute("aria-expanded", "false");
  bell.classList.remove("open");
  if (focus) button.focus();
}

if (bell) {
  // Without this script the bell is a plain link to /notifications; with it, a menu button.
  button.setAttribute("role", "button");
  button.setAttribute("aria-expanded", "false");
  button.addEventListener("click", (e) => {
    e.preventDefault();
    if (isOpen()) close(); else open();
  });
  button.addEventListener("keydown", (e) => {
    if (e.key === " ") { e.preventDefault(); button.click(); }
  });
  document.addEventListener("keydown", (e) => { if (e.key === "Escape" && isOpen()) close({ focus: true }); });
  document.addEventListener("click", (e) => { if (isOpen() && !bell.contains(e.target)) close(); });
  $("bell-mark-all").addEventListener("click", markAllRead);
}

async function markAllRead() {
  const result = await api("POST", "/api/v1/notifications/read", { all: true });
  if (!result.ok) return;
  if (latest) latest = latest.map((n) => ({ ...n, read: true }));
  setCount(result.unread);
  render();
}

// Opening a notification (dropdown, list page, system notification) marks it read; the room's read
// cursor would too, but a reminder or an old event may sit behind it.
function markOpened(id) {
  const known = latest?.find((n) => n.id === id);
  if (known && !known.read) { known.read = true; setCount(unread - 1); }
  const body = JSON.stringify({ ids: [id] });
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";
  // keepalive: the request survives the navigation that follows the click.
  fetch("/api/v1/notifications/read", {
    method: "POST", keepalive: true, credentials: "same-origin", body,
    headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf },
  }).catch(() => {});
}

document.addEventListener("click", (e) => {
  const link = e.target.closest?.("a[data-notification-id]");
  if (!link || e.button !== 0) return;
  if (link.closest(".unread")) markOpened(Number(link.dataset.notificationId));
  if (e.metaKey || e.ctrlKey || e.shiftKey) return; // a new tab: let the browser open it
  // Already in that room: scroll to the event instead of reloading the page.
  const url = new URL(link.href);
  const seq = Number(url.searchParams.get("event"));
  if (url.pathname === location.pathname && seq && window.__room?.reveal?.(seq)) {
    e.preventDefault();
    close();
    history.replaceState(null, "", url);
  }
});

// ---------------------------------------------------------------- live

// The room page already has a socket (every socket joins user:<id>); elsewhere, open one.
const socket = window.__room?.socket || io({ transports: ["websocket"], reconnectionDelayMax: 10000 });

socket.on("notification", ({ notification, unread: count }) => {
  pushes += 1;
  setCount(count);
  if (latest !== null && !latest.some((n) => n.id === notification.id)) {
    latest = [notification, ...latest].slice(0, LATEST);
    render();
  }
  const fresh = $("notifications-fresh"); // the full list page: offer to show what arrived
  if (fresh) fresh.hidden = false;
  showSystemNotification(notification);
});

socket.on("notifications_read", ({ unread: count }) => {
  pushes += 1;
  setCount(count);
  if (latest !== null) {
    if (count === 0) latest = latest.map((n) => ({ ...n, read: true }));
    else stale = true; // which ones were read: ask when the panel opens next
    if (isOpen() && stale) refresh(); else render();
  }
});

// Subscribe, then snapshot: the socket is in user:<id> once connected, so what changed between the
// page being drawn (or a dropped connection) and now is read after every connect.
socket.on("connect", () => refresh());
if (socket.connected) refresh();

// ---------------------------------------------------------------- browser notifications

function optedIn() {
  try { return localStorage.getItem(OPT_IN) === "on"; } catch { return false; }
}

function setOptIn(on) {
  try {
    if (on) localStorage.setItem(OPT_IN, "on"); else localStorage.removeItem(OPT_IN);
  } catch { /* private mode: nothing to remember */ }
}

const supported = () => "Notification" in window;

function showSystemNotification(n) {
  if (!document.hidden || !optedIn() || !supported() || Notification.permission !== "granted") return;
  let note;
  try {
    // One tag per notification: several open tabs show it once.
    note = new Notification(n.title, { body: n.body || "", tag: `workspace-notification-${n.id}`, icon: "/static/favicon.svg" });
  } catch {
    return; // some platforms only allow notifications from a service worker
  }
  note.addEventListener("click", () => {
    window.focus();
    markOpened(n.id);
    note.close();
    location.assign(n.url);
  });
}

function renderBrowserSettings() {
  const status = $("browser-status");
  if (!status) return;
  const on = $("browser-on");
  const off = $("browser-off");
  let text;
  let active = false;
  if (!supported()) {
    text = "This browser cannot show notifications.";
    on.disabled = true;
  } else if (Notification.permission === "denied") {
    text = "Your browser blocks notifications from this site. Allow them in the site settings (the icon beside the address), then try again.";
  } else if (Notification.permission === "granted" && optedIn()) {
    text = "On for this device: you get a system notification while Workspace is in a background tab.";
    active = true;
  } else {
    text = "Off on this device.";
  }
  status.textContent = text;
  on.hidden = active;
  off.hidden = !active;
}

async function turnOnBrowserNotifications() {
  if (!supported()) { renderBrowserSettings(); return; }
  // Asked only here, after the person clicked: never on page load.
  const permission = Notification.permission === "granted" ? "granted" : await Notification.requestPermission();
  setOptIn(permission === "granted");
  renderBrowserSettings();
}

$("browser-on")?.addEventListener("click", turnOnBrowserNotifications);
$("browser-off")?.addEventListener("click", () => { setOptIn(false); renderBrowserSettings(); });
renderBrowserSettings();

// ---------------------------------------------------------------- start

setCount(unread);
tickTimes();
window.__notifications = { socket, count: () => unread }; // for tests and debugging
