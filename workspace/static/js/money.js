// Money in the browser: integer minor units in, formatted text out. Never floats for amounts.

export function exponent(currency) {
  try {
    return new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits;
  } catch {
    return 2;
  }
}

// "1,250.50" in EUR -> 125050; null when the text is not an amount.
export function parseMajor(text, currency) {
  const match = /^\s*(\d{1,3}(?:[ ,]\d{3})+|\d+)(?:\.(\d+))?\s*$/.exec(text || "");
  if (!match) return null;
  const exp = exponent(currency);
  const fraction = match[2] || "";
  if (fraction.length > exp) return null;
  const whole = Number(match[1].replace(/[ ,]/g, ""));
  return whole * 10 ** exp + (exp ? Number(fraction.padEnd(exp, "0")) : 0);
}

export function formatMoney(minor, currency) {
  if (minor === null || minor === undefined || !currency) return "—";
  const exp = exponent(currency);
  const sign = minor < 0 ? "-" : "";
  const abs = Math.abs(minor);
  const whole = Math.floor(abs / 10 ** exp);
  const frac = exp ? "." + String(abs % 10 ** exp).padStart(exp, "0") : "";
  return `${sign}${whole.toLocaleString("en")}${frac} ${currency}`;
}
