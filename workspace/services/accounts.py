"""Sign-up, log-in with rate limits, login sessions that can be revoked, personal API tokens."""
from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from workspace.db import iso, rowcount, transaction, utcnow
from workspace.domain.errors import Conflict, Invalid, NotFound, RateLimited, Unauthorized
from workspace.extensions import db
from workspace.models import ApiToken, LoginSession, User
from workspace.passwords import hash_password, verify_password
from workspace.ratelimit import limiter
from workspace.tokens import digest, new_secret

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PASSWORD_MIN, PASSWORD_MAX = 10, 1024
TOKEN_PREFIX = "ws_"


def normalize_email(email: Any) -> str:
    return email.strip().casefold() if isinstance(email, str) else ""


def _validate_signup(email: str, password: Any, name: Any) -> dict[str, str]:
    errors = {}
    if not _EMAIL.match(email) or len(email) > 254:
        errors["email"] = "Enter a valid email address."
    if not isinstance(password, str) or len(password) < PASSWORD_MIN:
        errors["password"] = f"Use at least {PASSWORD_MIN} characters."
    elif len(password) > PASSWORD_MAX:
        errors["password"] = f"Use at most {PASSWORD_MAX} characters."
    if not isinstance(name, str) or not name.strip():
        errors["name"] = "Tell us your name."
    elif len(name.strip()) > 100:
        errors["name"] = "Keep your name under 100 characters."
    return errors


def sign_up(email: Any, password: Any, name: Any, *, address: str, limit: tuple[int, int]) -> User:
    """Create an account; the password is hashed before the write transaction opens."""
    email = normalize_email(email)
    errors = _validate_signup(email, password, name)
    if errors:
        raise Invalid("Please correct the highlighted fields.", fields=errors)
    retry = limiter.take(f"signup:addr:{address}", *limit)
    if retry:
        raise RateLimited("Too many sign-ups from your address; try again later.", retry_after=retry)
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict("An account with this email already exists. Log in instead.",
                       fields={"email": "Already registered."})
    password_hash = hash_password(password)
    try:
        with transaction() as tx:
            user = User(email=email, name=name.strip(), password_hash=password_hash)
            tx.session.add(user)
            tx.session.flush()
    except IntegrityError:
        raise Conflict("An account with this email already exists. Log in instead.",
                       fields={"email": "Already registered."}) from None
    return user


def authenticate(email: Any, password: Any, *, address: str,
                 per_account: tuple[int, int], per_address: tuple[int, int]) -> User:
    """Check credentials; failed attempts are limited per account and per address."""
    email = normalize_email(email)
    if not isinstance(password, str) or not email:
        raise Invalid("Enter your email and password.",
                      fields={k: "Required." for k, v in (("email", email), ("password", password)) if not v})
    keys = ((f"login:acct:{email}", per_account), (f"login:addr:{address}", per_address))
    for key, (limit, window) in keys:
        if limiter.count(key, window) >= limit:
            raise RateLimited("Too many failed attempts. Wait a few minutes and try again.",
                              retry_after=limiter.retry_after(window))
    user = db.session.scalar(select(User).where(User.email == email))
    ok, needs_rehash = verify_password(user.password_hash if user else None, password[:PASSWORD_MAX])
    if not ok or user is None:
        for key, (_limit, window) in keys:
            limiter.hit(key, window)
        raise Unauthorized("That email and password do not match an account.")
    if needs_rehash:
        new_hash = hash_password(password)
        with transaction() as tx:
            tx.session.execute(update(User).where(User.id == user.id).values(password_hash=new_hash))
    return user


def start_login_session(user: User) -> str:
    """Open a revocable browser session; its id goes in the signed cookie."""
    session_id = new_secret()
    with transaction() as tx:
        tx.session.add(LoginSession(id=session_id, user_id=user.id))
    return session_id


def end_login_session(session_id: str) -> None:
    """Revoke a browser login; its open sockets are disconnected once this commits."""
    with transaction() as tx:
        tx.session.execute(
            update(LoginSession).where(LoginSession.id == session_id, LoginSession.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
        tx.disconnect(login_room(session_id))


def login_room(session_id: str) -> str:
    """The Socket.IO room every socket of one browser login joins at connect."""
    return f"login:{session_id}"


def user_for_login_session(user_id: int, session_id: str) -> User | None:
    """The user of a live (not revoked) login session, or None."""
    return db.session.scalar(
        select(User).join(LoginSession, LoginSession.user_id == User.id).where(
            User.id == user_id, LoginSession.id == session_id, LoginSession.revoked_at.is_(None)
        )
    )


def token_view(token: ApiToken) -> dict[str, Any]:
    return {
        "id": token.id, "name": token.name, "prefix": token.prefix, "created_at": iso(token.created_at),
        "last_used_at": iso(token.last_used_at) if token.last_used_at else None,
    }


def create_api_token(actor: User, name: Any = None) -> tuple[dict[str, Any], str]:
    """A new personal token; the raw value is returned once and never stored."""
    label = name.strip() if isinstance(name, str) and name.strip() else "API token"
    if len(label) > 100:
        raise Invalid("Keep the token name under 100 characters.", fields={"name": "Too long."})
    raw = new_secret(TOKEN_PREFIX)
    with transaction() as tx:
        token = ApiToken(user_id=actor.id, name=label, token_hash=digest(raw), prefix=raw[:10])
        tx.session.add(token)
        tx.session.flush()
        view = token_view(token)
    return view, raw


def list_api_tokens(actor: User) -> list[dict[str, Any]]:
    tokens = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == actor.id, ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.id)
    )
    return [token_view(t) for t in tokens]


def revoke_api_token(actor: User, token_id: Any) -> None:
    if isinstance(token_id, bool) or not isinstance(token_id, int):
        raise NotFound("No such token.")
    with transaction() as tx:
        done = rowcount(tx.session.execute(
            update(ApiToken).where(
                ApiToken.id == token_id, ApiToken.user_id == actor.id, ApiToken.revoked_at.is_(None),
            ).values(revoked_at=utcnow())
        ))
        tx.disconnect(token_room(token_id))
    if not done:
        raise NotFound("No such token.")


def user_for_api_token(raw: str) -> User | None:
    """The owner of a live token (and note when it was last used, at most once a minute)."""
    found = resolve_api_token(raw)
    return found[0] if found else None


def user_for_token_id(user_id: int, token_id: int) -> User | None:
    """The user, if that token is still live (sockets re-check this on every action)."""
    return db.session.scalar(
        select(User).join(ApiToken, ApiToken.user_id == User.id)
        .where(User.id == user_id, ApiToken.id == token_id, ApiToken.revoked_at.is_(None))
    )


def token_room(token_id: int) -> str:
    """The Socket.IO room of every socket opened with one API token."""
    return f"token:{token_id}"


def resolve_api_token(raw: str) -> tuple[User, int] | None:
    """(owner, token id) of a live token, or None."""
    if not isinstance(raw, str) or not raw.startswith(TOKEN_PREFIX) or len(raw) > 100:
        return None
    row = db.session.execute(
        select(User, ApiToken).join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == digest(raw), ApiToken.revoked_at.is_(None))
    ).first()
    if row is None:
        return None
    user, token = row
    now = utcnow()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        with transaction() as tx:
            tx.session.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
    return user, token.id
