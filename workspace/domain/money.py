"""Money as integer minor units with an ISO 4217 currency: parsing and display, never floats."""
from __future__ import annotations

import re

# Active ISO 4217 codes and their minor-unit exponents (2 unless listed otherwise).
_ZERO = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
_THREE = "BHD IQD JOD KWD LYD OMR TND"
_FOUR = "CLF UYW"
_TWO = (
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP BYN "
    "BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP "
    "GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP "
    "LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR "
    "NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN "
    "SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VES WST XCD XCG YER ZAR "
    "ZMW ZWG"
)
EXPONENTS: dict[str, int] = {
    **{c: 2 for c in _TWO.split()},
    **{c: 0 for c in _ZERO.split()},
    **{c: 3 for c in _THREE.split()},
    **{c: 4 for c in _FOUR.split()},
}
CURRENCIES = tuple(sorted(EXPONENTS))
# ISO 4217 fund codes: units of account (e.g. Chile's UF, the US next-day dollar), not what people pay
# each other in. The API accepts them; the terms form does not offer them.
FUNDS = frozenset("BOV CHE CHW CLF COU MXV USN UYI UYW".split())
OFFERED_CURRENCIES = tuple(c for c in CURRENCIES if c not in FUNDS)
MAX_AMOUNT = 10**13
PAYMENT_METHODS = {"bank_transfer": "Bank transfer", "paypal": "PayPal", "wise": "Wise", "card": "Card",
                   "cash": "Cash", "other": "Other"}  # minor units; far above any real job, far below 64-bit limits

_MAJOR = re.compile(r"^\s*(\d{1,3}(?:[ ,]\d{3})+|\d+)(?:\.(\d+))?\s*$")


def is_currency(code: object) -> bool:
    return isinstance(code, str) and code in EXPONENTS


def exponent(currency: str) -> int:
    return EXPONENTS[currency]


def parse_major(text: str, currency: str) -> int:
    """'1,250.50' EUR -> 125050. Raises ValueError with a message fit to show a person."""
    match = _MAJOR.match(text or "")
    if not match:
        raise ValueError("Enter an amount like 1250 or 1250.50.")
    whole, fraction = match.group(1).replace(",", "").replace(" ", ""), match.group(2) or ""
    exp = exponent(currency)
    if len(fraction) > exp:
        raise ValueError(f"{currency} has {exp} decimal places." if exp else f"{currency} has no decimals.")
    minor = int(whole) * 10**exp + (int(fraction.ljust(exp, "0")) if exp else 0)
    return minor


def to_major(amount: int, currency: str) -> str:
    """125050 EUR -> '1250.50' (for form fields)."""
    exp = exponent(currency)
    sign = "-" if amount < 0 else ""
    whole, frac = divmod(abs(amount), 10**exp)
    return f"{sign}{whole}.{frac:0{exp}d}" if exp else f"{sign}{whole}"


def format_money(amount: int, currency: str) -> str:
    """125050 EUR -> '1,250.50 EUR' (for people)."""
    exp = exponent(currency)
    sign = "-" if amount < 0 else ""
    whole, frac = divmod(abs(amount), 10**exp)
    body = f"{whole:,}" + (f".{frac:0{exp}d}" if exp else "")
    return f"{sign}{body} {currency}"
