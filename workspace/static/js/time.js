// Times as the viewer reads them: the one formatter of every page (Intl.DateTimeFormat in the
// browser's time zone). The server renders <time datetime="ISO-8601 Z" data-format="…">UTC text</time>;
// this module rewrites each such element, and every one added later (live updates), in the viewer's zone.
// Formats: "datetime" (Dec 26, 2026, 14:05), "date" (Sat, Dec 26, 2026), "time" (14:05), "deadline" (an
// agreed day's end, its zone named: Dec 26, 2026, 18:59 EST), "day" (a calendar day, no instant: Sat, Dec
// 26, 2026), "ago" (in 3 days / 5 minutes ago, the full time and zone in its title).

const STYLES = {
  datetime: { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23" },
  zoned: { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZoneName: "short" },
  date: { weekday: "short", year: "numeric", month: "short", day: "numeric" },
  time: { hour: "2-digit", minute: "2-digit", hourCycle: "h23" },
  day: { weekday: "short", year: "numeric", month: "short", day: "numeric", timeZone: "UTC" },
};
STYLES.deadline = STYLES.zoned;

const cache = new Map();
function formatter(style, { locale, timeZone } = {}) {
  const key = `${style}|${locale || ""}|${timeZone || ""}`;
  if (!cache.has(key)) {
    const options = { ...STYLES[style] };
    if (timeZone && style !== "day") options.timeZone = timeZone; // a calendar day is the same everywhere
    cache.set(key, new Intl.DateTimeFormat(locale, options));
  }
  return cache.get(key);
}

// "2026-12-26" (a calendar day) is read as that day; anything else as an instant.
function parse(iso) {
  if (typeof iso !== "string" || !iso) return null;
  const t = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(iso) ? `${iso}T00:00:00Z` : iso);
  return Number.isNaN(t) ? null : new Date(t);
}

// One time as text in `format` (see above); `options` (locale, timeZone) are for tests.
// The moment an agreed day ("2026-12-22": the deadline, a due date) ends: work is due by the end of
// that day on the server's clock, UTC (domain/agreement.py due_at).
export const dayEnd = (day) => `${day}T23:59:59Z`;

export function formatTime(iso, format = "datetime", options = {}) {
  const date = parse(iso);
  if (!date) return "";
  if (format === "ago") return relative(iso, options.now);
  return formatter(STYLES[format] ? format : "datetime", options).format(date);
}

const UNITS = [["year", 31536000], ["month", 2592000], ["week", 604800], ["day", 86400], ["hour", 3600], ["minute", 60]];
const rtf = new Intl.RelativeTimeFormat("en", { numeric: "auto" });

// "5 minutes ago", "in 3 days", "just now".
export function relative(iso, now = Date.now()) {
  const seconds = Math.round((new Date(iso).getTime() - now) / 1000);
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size) return rtf.format(Math.round(seconds / size), unit);
  }
  return Math.abs(seconds) < 45 ? "just now" : rtf.format(seconds, "second");
}

// A <time> element for `iso` in `format`, localized already.
export function timeNode(iso, format = "datetime", className = "") {
  const node = document.createElement("time");
  node.setAttribute("datetime", iso);
  node.dataset.format = format;
  if (className) node.className = className;
  localize(node);
  return node;
}

// Rewrite one <time datetime data-format> in the viewer's zone (the full time and zone in its title).
export function localize(node) {
  const iso = node.getAttribute("datetime");
  const format = node.dataset.format || (node.classList.contains("ago") ? "ago" : null);
  if (!format || !parse(iso)) return;
  const text = formatTime(iso, format);
  if (node.textContent !== text) node.textContent = text;
  if (format !== "day") {
    const full = formatTime(iso, "zoned");
    if (node.title !== full) node.title = full;
  }
}

export function localizeAll(root = document) {
  if (root.matches?.("time[datetime]")) localize(root);
  for (const node of root.querySelectorAll?.("time[datetime]") || []) localize(node);
}

// Relative times ("5 minutes ago") age: redraw them.
export function tickTimes(root = document) {
  for (const node of root.querySelectorAll("time[datetime][data-format=ago], time.ago[datetime]")) localize(node);
}

// Every page: localize what the server drew, then whatever is added later, and keep "ago" fresh.
let watching = false;
export function watchTimes(root = document.body) {
  if (watching || !root) return;
  watching = true;
  localizeAll(root);
  new MutationObserver((records) => {
    for (const record of records) {
      for (const node of record.addedNodes) if (node.nodeType === 1) localizeAll(node);
    }
  }).observe(root, { childList: true, subtree: true });
  setInterval(() => tickTimes(root), 30000);
}

// The server groups a few pages by calendar day (the work diary): it reads the viewer's zone here.
export function rememberZone() {
  try {
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (!/^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/.test(zone || "")) return; // IANA names are cookie-safe as they are
    const cookie = `tz=${zone}`;
    if (!document.cookie.split("; ").includes(cookie)) {
      document.cookie = `${cookie}; path=/; max-age=31536000; SameSite=Lax`;
    }
  } catch { /* no zone, or cookies off: the server uses UTC */ }
}

if (typeof document !== "undefined" && document.body) { watchTimes(); rememberZone(); }
