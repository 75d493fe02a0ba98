// Money in the browser shows what the server formatted. The server owns the rules (ISO 4217
// exponents in domain/money.py): every view with an amount carries `currency`, `exponent` and
// `display[field]`. The browser never guesses a currency's decimals (Intl disagrees with ISO 4217
// for HUF, IQD, COP and 14 others); where it must turn typed text into minor units, it uses the
// exponent the server gave, and the server checks the result again.

// Exponents the server has sent in its views, by currency (never guessed in the browser).
const known = new Map();

export function learn(view) {
  if (view?.currency && Number.isInteger(view.exponent)) known.set(view.currency, view.exponent);
}

// The server's text for `field` of a money-bearing view (a milestone, payment, agreement, balances).
export function shown(view, field = "amount") {
  learn(view);
  const text = view?.display?.[field];
  if (typeof text === "string") return text;
  // Event data without `display` (recorded earlier, or a bare amount such as upfront.requested):
  // format with an exponent the server sent for that currency; otherwise say the units plainly.
  const amount = view?.[field];
  if (typeof amount !== "number") return "—";
  const exp = Number.isInteger(view.exponent) ? view.exponent : known.get(view.currency);
  if (Number.isInteger(exp)) return formatMinor(amount, view.currency, exp);
  return `${amount} minor units of ${view.currency || "the job's currency"}`;
}

// "1,250.50" with exponent 2 -> 125050; null when the text is not an amount in those units.
export function parseMajor(text, exp) {
  if (!Number.isInteger(exp) || exp < 0) return null;
  const match = /^\s*(\d{1,3}(?:[ ,]\d{3})+|\d+)(?:\.(\d+))?\s*$/.exec(text || "");
  if (!match) return null;
  const fraction = match[2] || "";
  if (fraction.length > exp) return null;
  const whole = Number(match[1].replace(/[ ,]/g, ""));
  const minor = whole * 10 ** exp + (exp ? Number(fraction.padEnd(exp, "0")) : 0);
  return Number.isSafeInteger(minor) ? minor : null;
}

// 125050 EUR with exponent 2 -> "1,250.50 EUR" (the same text as domain/money.py format_money).
export function formatMinor(minor, currency, exp) {
  if (typeof minor !== "number" || !currency || !Number.isInteger(exp)) return "—";
  const sign = minor < 0 ? "-" : "";
  const abs = Math.abs(minor);
  const whole = Math.floor(abs / 10 ** exp);
  const frac = exp ? "." + String(abs % 10 ** exp).padStart(exp, "0") : "";
  return `${sign}${String(whole).replace(/\B(?=(\d{3})+(?!\d))/g, ",")}${frac} ${currency}`;
}
