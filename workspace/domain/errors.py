"""Typed domain errors; the web and realtime edges each map them in one place."""
from __future__ import annotations


class DomainError(Exception):
    """Base: a code for machines, a message for people, optional per-field messages."""

    code = "error"
    status = 400

    def __init__(self, message: str, fields: dict[str, str] | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        if code:
            self.code = code

    def as_dict(self) -> dict[str, object]:
        body: dict[str, object] = {"code": self.code, "message": self.message}
        if self.fields:
            body["fields"] = self.fields
        return body


class BadRequest(DomainError):
    code, status = "bad_request", 400


class Unauthorized(DomainError):
    code, status = "unauthorized", 401


class Forbidden(DomainError):
    code, status = "forbidden", 403


class NotFound(DomainError):
    code, status = "not_found", 404


class Conflict(DomainError):
    code, status = "conflict", 409


class TooLarge(DomainError):
    code, status = "too_large", 413


class Invalid(DomainError):
    code, status = "invalid", 422


class Busy(DomainError):
    """The database could not take the write in time (SQLite shared by several processes)."""

    code, status = "busy", 503


class RateLimited(DomainError):
    code, status = "rate_limited", 429

    def __init__(self, message: str, retry_after: int = 60):
        super().__init__(message)
        self.retry_after = retry_after
