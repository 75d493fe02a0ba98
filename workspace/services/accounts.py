"""Sign-up, log-in with rate limits, login sessions that can be revoked, personal API tokens.

Recovery (verification, password reset, changes to one's own account) lives in services/recovery.py
and builds on the helpers here; this module never imports it (one direction, no cycle)."""
from __future__ import annotations

import re
import unicodedata
from typing import Any
from urllib.parse import urlencode

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from workspace import signing
from workspace.db import Transaction, iso, rowcount, transaction, utcnow
from workspace.domain.ids import is_id
from workspace.domain.errors import Invalid, NotFound, RateLimited, Unauthorized
from workspace.extensions import db
from workspace.mail.compose import public_url
from workspace.mail.outbox import enqueue
from workspace.models import ApiToken, LoginSession, User
from workspace.passwords import hash_password, verify_password
from workspace.ratelimit import limiter
from workspace.tokens import digest, new_secret

# One address, nothing a mail header could read as more: no spaces or control characters, and none of
# the separators and quoting of RFC 5322 address lists: , ; : < > ( ) [ ] \ and the double quote.
_ADDRESS_PART = r'[^@\s,;:<>()\[\]\\"\x00-\x1f\x7f]+'
_EMAIL = re.compile(rf"^{_ADDRESS_PART}@{_ADDRESS_PART}\.{_ADDRESS_PART}$")
PASSWORD_MIN, PASSWORD_MAX = 10, 1024
TOKEN_PREFIX = "ws_"
# How often one account's owner is told "someone tried to sign up with your address" (per hour).
SIGNUP_NOTICE_LIMIT = (3, 3600)


def normalize_email(email: Any) -> str:
    """One spelling per mailbox: NFC, lower case; the domain also NFKC (as IDNA maps it: a fullwidth
    "ｅxample.test" is example.test). Not casefold: it turns "ß" into "ss", another mailbox."""
    if not isinstance(email, str):
        return ""
    local, at, domain = unicodedata.normalize("NFC", email.strip()).rpartition("@")
    if not at:
        return domain.lower()
    return f"{local.lower()}@{unicodedata.normalize('NFKC', domain).lower()}"


def email_error(email: str) -> str | None:
    """Why a (normalized) address cannot be used, or None."""
    if not _EMAIL.match(email) or len(email) > 254:
        return "Enter a valid email address."
    return None


# Passwords long enough for the length rule that every guessing list starts with (NIST 800-63B: refuse
# known and repetitive ones).
COMMON_PASSWORDS = frozenset("""
password12 password123 password1234 password12345 passw0rd123 1234567890 0123456789 12345678910
123456789a 1q2w3e4r5t qwertyuiop qwertyuiop1 1qaz2wsx3edc iloveyou12 iloveyou123 abcdefghij abc1234567
letmein123 welcome123 welcome1234 administrator football123 baseball123 princess123 sunshine123
""".split())


def password_error(password: Any) -> str | None:
    if not isinstance(password, str) or len(password) < PASSWORD_MIN:
        return f"Use at least {PASSWORD_MIN} characters."
    if len(password) > PASSWORD_MAX:
        return f"Use at most {PASSWORD_MAX} characters."
    if password.lower() in COMMON_PASSWORDS or len(set(password)) <= 2:
        return "That password is among the first any attacker tries; choose another."
    return None


def name_error(name: Any) -> str | None:
    if not isinstance(name, str) or not name.strip():
        return "Tell us your name."
    if len(name.strip()) > 100:
        return "Keep your name under 100 characters."
    return None


def _validate_signup(email: str, password: Any, name: Any) -> dict[str, str]:
    found = {"email": email_error(email), "password": password_error(password), "name": name_error(name)}
    return {field: message for field, message in found.items() if message}


def signup_message(email: str) -> str:
    """What sign-up answers, whether or not the address already had an account."""
    return f"Check your inbox: we sent a message to {email}. Open the link in it to confirm your address."


def verification_url(user_id: int, email: str) -> str:
    """The emailed link that confirms `email` for that account; a later change of address voids it."""
    token = signing.sign(current_app.config["SECRET_KEY"], "verify", [user_id, email])
    return public_url(f"/verify/{token}")


def enqueue_verification(tx: Transaction, user_id: int, name: str, email: str, *, change: bool = False) -> None:
    """Queue the "confirm your address" email in the caller's transaction."""
    enqueue(tx, to=email, template="verify", purpose="verify_change" if change else "verify",
            context={"name": name, "email": email, "change": change, "url": verification_url(user_id, email),
                     "days": signing.PURPOSES["verify"] // 86400})


def sign_up(email: Any, password: Any, name: Any, *, address: str, limit: tuple[int, int],
            verified: bool = False, resume: str | None = None) -> User | None:
    """Create an account and email it a verification link; None when the address already had an
    account: nothing about it changes and its owner is emailed instead ("log in or reset").

    Both paths hash the password, so they take about as long. The API still answers a new account
    with its token (201) and a taken address with 202, and the page logs a new person in: fully
    hiding whether an address is registered would need sign-up to finish only from the emailed link,
    which the product rules out (an unverified account can work at once). What we do hide: no page
    or API answer ever says "already registered", and only the address's owner learns of the attempt.
    """
    email = normalize_email(email)
    errors = _validate_signup(email, password, name)
    if errors:
        raise Invalid("Please correct the highlighted fields.", fields=errors)
    retry = limiter.take(f"signup:addr:{address}", *limit)
    if retry:
        raise RateLimited("Too many sign-ups from your address; try again later.", retry_after=retry)
    password_hash = hash_password(password)  # also for a taken address: the same time either way
    existing = db.session.scalar(select(User).where(User.email == email))
    if existing is not None:
        _tell_owner(existing, resume)
        return None
    try:
        with transaction() as tx:
            user = User(email=email, name=name.strip(), password_hash=password_hash,
                        email_verified_at=utcnow() if verified else None)
            tx.session.add(user)
            tx.session.flush()
            if not verified:
                enqueue_verification(tx, user.id, user.name, email)
    except IntegrityError:  # a concurrent sign-up took the address between our read and the insert
        existing = db.session.scalar(select(User).where(User.email == email))
        if existing is not None:
            _tell_owner(existing, resume)
        return None
    return user


def _tell_owner(owner: User, resume: str | None = None) -> None:
    """Email the owner of a taken address (a few times an hour at most, so it cannot be a mail bomb);
    its log-in link leads back to `resume` (a same-site path: the invitation they were signing up from)."""
    if limiter.take(f"signup:notice:{owner.id}", *SIGNUP_NOTICE_LIMIT):
        return
    login = "/login" + (f"?{urlencode({'next': resume})}" if resume else "")
    with transaction() as tx:
        enqueue(tx, to=owner.email, template="signup_exists", purpose="signup_exists", context={
            "name": owner.name, "email": owner.email, "login_url": public_url(login),
            "reset_url": public_url("/forgot")})


def login_limit_prefix(email: str) -> str:
    """Start of every login-failure counter of one account (a digest: no address in Redis keys and
    no way for one address to be a prefix of another)."""
    return f"login:acct:{digest(normalize_email(email))[:32]}:"


def authenticate(email: Any, password: Any, *, address: str,
                 per_account: tuple[int, int], per_address: tuple[int, int]) -> User:
    """Check credentials under two limits: `per_account` counts attempts on one account from one
    address (so an attacker elsewhere cannot lock the owner out), `per_address` all attempts from
    one address. A slot is taken atomically before the password is checked, so N concurrent
    guesses check at most `limit` of them; a successful login gives its slots back."""
    email = normalize_email(email)
    if not isinstance(password, str) or not email:
        raise Invalid("Enter your email and password.",
                      fields={k: "Required." for k, v in (("email", email), ("password", password)) if not v})
    slots = ((f"{login_limit_prefix(email)}addr:{address}", per_account), (f"login:addr:{address}", per_address))
    counts = [limiter.hit(key, window) for key, (_limit, window) in slots]
    for count, (_key, (limit, window)) in zip(counts, slots):
        if count > limit:
            raise RateLimited("Too many failed attempts. Wait a few minutes and try again.",
                              retry_after=limiter.retry_after(window))
    user = db.session.scalar(select(User).where(User.email == email))
    ok, needs_rehash = verify_password(user.password_hash if user else None, password[:PASSWORD_MAX])
    if not ok or user is None:
        raise Unauthorized("That email and password do not match an account.")
    for key, (_limit, window) in slots:
        limiter.release(key, window)
    if needs_rehash:
        new_hash = hash_password(password)
        with transaction() as tx:
            tx.session.execute(update(User).where(User.id == user.id).values(password_hash=new_hash))
    return user


def revoke_credentials(tx: Transaction, user_id: int, *, keep_session: str | None = None,
                       keep_token: int | None = None) -> None:
    """Revoke every live login session and API token of a person except the ones named, and cut
    their sockets once the transaction commits (call it only after the change is allowed)."""
    now = utcnow()
    sessions = update(LoginSession).where(LoginSession.user_id == user_id, LoginSession.revoked_at.is_(None))
    if keep_session is not None:
        sessions = sessions.where(LoginSession.id != keep_session)
    tokens = update(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
    if keep_token is not None:
        tokens = tokens.where(ApiToken.id != keep_token)
    opts = {"synchronize_session": False}
    for session_id in tx.session.scalars(sessions.values(revoked_at=now).returning(LoginSession.id)
                                         .execution_options(**opts)).all():
        tx.disconnect(login_room(session_id))
    for token_id in tx.session.scalars(tokens.values(revoked_at=now).returning(ApiToken.id)
                                       .execution_options(**opts)).all():
        tx.disconnect(token_room(token_id))


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
    """Revoke one of the actor's own tokens and cut its sockets; someone else's id is a 404 that
    touches nothing (the disconnect is queued only once the row was found to be the actor's)."""
    if not is_id(token_id):
        raise NotFound("No such token.")
    with transaction() as tx:
        done = rowcount(tx.session.execute(
            update(ApiToken).where(
                ApiToken.id == token_id, ApiToken.user_id == actor.id, ApiToken.revoked_at.is_(None),
            ).values(revoked_at=utcnow())
        ))
        if not done:
            raise NotFound("No such token.")
        tx.disconnect(token_room(token_id))


def api_token_id(raw: str | None) -> int | None:
    """The id of a live token (the one a request came with), or None."""
    found = resolve_api_token(raw) if raw else None
    return found[1] if found else None


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
