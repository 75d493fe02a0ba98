"""Validation at the edge, once, for HTTP and Socket.IO alike: any JSON a client sends must be a sane
document (bounded depth, integers that fit 64 bits, strings that encode as UTF-8) before any service
sees it. Each failure is a field error (422 / `{ok: false}`), never a 500 deeper down."""
from __future__ import annotations

from typing import Any

from workspace.domain.errors import Invalid

MAX_DEPTH = 32
TOO_DEEP = f"The data is nested too deeply (more than {MAX_DEPTH} levels)."
INT_MIN, INT_MAX = -(2**63), 2**63 - 1


def check_json(value: Any, name: str = "body") -> None:
    """Raise Invalid naming the first bad place in `value` (a parsed JSON document or socket payload)."""
    stack: list[tuple[Any, str, int]] = [(value, name, 0)]
    while stack:
        item, where, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise Invalid(TOO_DEEP, fields={where: "Too deep."})
        if isinstance(item, bool) or item is None or isinstance(item, float):
            continue
        if isinstance(item, int):
            if not INT_MIN <= item <= INT_MAX:
                raise Invalid("A number is too large.", fields={where: "Out of range."})
        elif isinstance(item, str):
            _check_text(item, where)
        elif isinstance(item, dict):
            for key, child in item.items():
                _check_text(str(key), where)
                stack.append((child, f"{where}.{key}" if depth else str(key), depth + 1))
        elif isinstance(item, (list, tuple)):
            stack.extend((child, f"{where}[{i}]", depth + 1) for i, child in enumerate(item))


def _check_text(text: str, where: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise Invalid("Some text is not valid Unicode (a lone surrogate).", fields={where[:100]: "Invalid text."}) from None
    if "\x00" in text:  # PostgreSQL text cannot hold NUL, and no person types one
        raise Invalid("Some text contains a NUL character.", fields={where[:100]: "Invalid text."})


def check_form(values: Any) -> None:
    """The same text rules for HTML form fields and query strings (a MultiDict of strings)."""
    for key, value in values.items(multi=True):
        _check_text(str(key), "form")
        _check_text(str(value), str(key))
