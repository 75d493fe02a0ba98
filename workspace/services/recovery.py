"""Accounts people can recover: email verification, password reset by emailed link, and changes to
one's own name, email and password.

Every email here is written into the outbox in the same transaction as the change it reports, and
every side effect (revoked sessions, cut sockets, emails) is queued only after the guard that allows
the change has passed. Secrets in links: verification links are signed (the address is part of the
payload, so a change of address voids them); reset links are random and only their sha256 is kept.
"""
from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workspace import signing
from workspace.db import Transaction, transaction, utcnow
from workspace.domain.errors import Conflict, Invalid, NotFound, RateLimited
from workspace.extensions import db
from workspace.mail.compose import public_url, render
from workspace.mail.outbox import enqueue, release_held
from workspace.models import EmailOutbox, Notification, PasswordResetToken, User
from workspace.passwords import hash_password, verify_password
from workspace.ratelimit import limiter
from workspace.services.accounts import (
    PASSWORD_MAX, email_error, enqueue_verification, login_limit_prefix, name_error, normalize_email,
    password_error, revoke_credentials,
)
from workspace.tokens import digest

VERIFY_RESEND_LIMIT = (5, 3600)  # "send the link again", per account
RESET_LIMIT_PER_ADDRESS = (30, 3600)  # reset requests from one address (429 beyond)
RESET_LIMIT_PER_EMAIL = (3, 3600)  # reset emails to one address (quietly dropped beyond: no mail bomb)
RESET_MESSAGE = ("If an account uses that address, we have emailed it a link to choose a new password. "
                 "The link works once, for a limited time.")
STALE_RESET = "This reset link has expired or was already used. Ask for a new one."


# ---------------------------------------------------------------- verification

def is_verified(user: User) -> bool:
    return user.email_verified_at is not None


def send_verification(actor: User) -> None:
    """Email the verification link again (rate-limited per account)."""
    if is_verified(actor):
        raise Conflict("Your email address is already confirmed.", code="already_verified")
    retry = limiter.take(f"verify:resend:{actor.id}", *VERIFY_RESEND_LIMIT)
    if retry:
        raise RateLimited("We have sent that link several times already; try again later.", retry_after=retry)
    with transaction() as tx:
        enqueue_verification(tx, actor.id, actor.name, actor.email)


def verify_email(token: Any) -> User:
    """Confirm the address a signed link was made for; mail that waited for it goes out.

    Opening the link (a GET) confirms: that is the promise of the email. It is idempotent, so a
    mail scanner fetching the link first does no harm beyond confirming what the mailbox received."""
    payload = signing.unsign(current_app.config["SECRET_KEY"], "verify", token)
    if not (isinstance(payload, list) and len(payload) == 2 and isinstance(payload[0], int)
            and isinstance(payload[1], str)):
        raise Invalid("This confirmation link is not valid or has expired. Ask for a new one from your account page.",
                      code="verify_link_invalid")
    user_id, email = payload
    with transaction() as tx:
        user = tx.session.get(User, user_id, populate_existing=True)
        if user is None or user.email != email:
            raise Invalid("This link was for an address that is no longer on the account. "
                          "Use the newest link we sent.", code="verify_link_invalid")
        if user.email_verified_at is None:
            user.email_verified_at = utcnow()
            _release_held_mail(tx.session, user)
    return user


NOTIFICATION_MAIL = ("notifications", "digest")


def _release_held_mail(session: Session, user: User) -> None:
    """Mail that waited for a confirmed address goes to the address just confirmed (held mail made
    before a change of address would otherwise go to the old one). Notification emails are planned
    again instead: those held were composed one batch at a time, some about what was read or turned off
    since; their notifications go back to the planner, which makes one email per job of what is still
    unread, as the person's settings say now."""
    held = list(session.scalars(select(EmailOutbox.id).where(
        EmailOutbox.user_id == user.id, EmailOutbox.status == "held", EmailOutbox.purpose.in_(NOTIFICATION_MAIL))))
    if held:
        session.execute(update(Notification).where(Notification.email_id.in_(held))
                        .values(emailed_at=None, email_id=None, email_skipped=None)
                        .execution_options(synchronize_session=False))
        session.execute(delete(EmailOutbox).where(EmailOutbox.id.in_(held)).execution_options(synchronize_session=False))
    session.execute(update(EmailOutbox).where(EmailOutbox.user_id == user.id, EmailOutbox.status == "held")
                    .values(to_addr=user.email).execution_options(synchronize_session=False))
    release_held(session, user.id)


def mark_verified(user_id: int) -> None:
    """Confirm an address without a link (the demo accounts of `flask seed`)."""
    with transaction() as tx:
        user = tx.session.get(User, user_id)
        if user is not None and user.email_verified_at is None:
            user.email_verified_at = utcnow()
            _release_held_mail(tx.session, user)


# ---------------------------------------------------------------- password reset

def request_password_reset(email: Any, *, address: str) -> str:
    """Email a single-use reset link if an account uses `email`; the same answer (and about the same
    work: a token, the email rendered, a write transaction) whether or not one does."""
    email = normalize_email(email)
    error = email_error(email)
    if error:
        raise Invalid("Enter the email address of your account.", fields={"email": error})
    retry = limiter.take(f"reset:addr:{address}", *RESET_LIMIT_PER_ADDRESS)
    if retry:
        raise RateLimited("Too many reset requests from your address; try again later.", retry_after=retry)
    quiet = limiter.take(f"reset:acct:{digest(email)[:32]}", *RESET_LIMIT_PER_EMAIL) is not None
    raw = secrets.token_urlsafe(32)
    ttl = int(current_app.config["PASSWORD_RESET_TTL"])
    user = db.session.scalar(select(User).where(User.email == email))
    context = {"name": user.name if user else "", "email": email, "url": public_url(f"/reset/{raw}"),
               "minutes": max(1, ttl // 60), "forgot_url": public_url("/forgot")}
    with transaction() as tx:
        if user is not None and not quiet:
            tx.session.add(PasswordResetToken(user_id=user.id, token_hash=digest(raw),
                                              expires_at=utcnow() + timedelta(seconds=ttl)))
            enqueue(tx, to=user.email, template="reset", purpose="reset", context=context)
        else:
            render("reset", **context)  # the work a known address costs, minus the write
    return RESET_MESSAGE


def reset_link_works(token: Any) -> bool:
    """Whether a reset link can still be used (the page shows the form or says it is stale)."""
    if not _plausible(token):
        return False
    return db.session.scalar(select(PasswordResetToken.id).where(
        PasswordResetToken.token_hash == digest(token), PasswordResetToken.used_at.is_(None),
        PasswordResetToken.expires_at > utcnow())) is not None


def _plausible(token: Any) -> bool:
    return isinstance(token, str) and 20 <= len(token) <= 200


def reset_password(token: Any, password: Any) -> User:
    """Use a reset link once: set the new password, end every session and token, tell the owner, and
    clear the account's login-failure counters (a locked-out owner gets back in this way). The link
    came to the account's address, so that address counts as confirmed. No login follows."""
    error = password_error(password)
    if error:
        raise Invalid("Choose a new password.", fields={"password": error})
    if not _plausible(token):
        raise NotFound(STALE_RESET, code="reset_link_invalid")
    new_hash = hash_password(password)
    now = utcnow()
    with transaction() as tx:
        user_id = tx.session.scalar(
            update(PasswordResetToken).where(
                PasswordResetToken.token_hash == digest(token), PasswordResetToken.used_at.is_(None),
                PasswordResetToken.expires_at > now,
            ).values(used_at=now).returning(PasswordResetToken.user_id)
            .execution_options(synchronize_session=False))
        if user_id is None:
            raise NotFound(STALE_RESET, code="reset_link_invalid")
        user = tx.session.get(User, user_id, populate_existing=True)
        assert user is not None  # the token row cascades with its user
        user.password_hash = new_hash
        _void_reset_links(tx, user.id)
        if user.email_verified_at is None:
            user.email_verified_at = now
            _release_held_mail(tx.session, user)
        revoke_credentials(tx, user.id)
        _password_changed_notice(tx, user, user.email, "with a reset link")
    limiter.clear_prefix(login_limit_prefix(user.email))
    return user


def _void_reset_links(tx: Transaction, user_id: int) -> None:
    """Every unused reset link of the account stops working (its password or address changed)."""
    tx.session.execute(update(PasswordResetToken).where(
        PasswordResetToken.user_id == user_id, PasswordResetToken.used_at.is_(None),
    ).values(used_at=utcnow()).execution_options(synchronize_session=False))


def _password_changed_notice(tx: Transaction, user: User, to: str, how: str) -> None:
    enqueue(tx, to=to, template="password_changed", purpose="password_changed", context={
        "name": user.name, "email": user.email, "how": how, "reset_url": public_url("/forgot")})


# ---------------------------------------------------------------- changes to one's own account

FIELDS = ("name", "email", "password")


def update_account(actor: User, changes: dict[str, Any], *, keep_session: str | None = None,
                   keep_token: int | None = None) -> User:
    """Change any of name, email and password (the last two need `current_password`) in one
    transaction. A new email must be confirmed again (a link to it, a notice to the old one); a new
    password ends every other session and token, keeping only the one this request came with."""
    wanted = {f: changes[f] for f in FIELDS if f in changes}
    if not wanted:
        raise Invalid("Send at least one of name, email or password.")
    errors: dict[str, str] = {}
    if "name" in wanted and (error := name_error(wanted["name"])):
        errors["name"] = error
    new_email = normalize_email(wanted.get("email"))
    if "email" in wanted:
        if error := email_error(new_email):
            errors["email"] = error
        elif new_email == actor.email:
            errors["email"] = "That is already your address."
    current: Any = changes.get("current_password")
    if "password" in wanted and (error := password_error(wanted["password"])):
        errors["password"] = error
    elif "password" in wanted and wanted["password"] == current:
        errors["password"] = "That is already your password; choose a new one."
    needs_password = "email" in wanted or "password" in wanted
    if needs_password and (not isinstance(current, str) or not current):
        errors["current_password"] = "Enter your current password."
    elif needs_password:
        try:  # checked with the rest, so a wrong password and a too-short new one show together
            _check_current_password(actor, current)
        except Invalid as exc:
            errors.update(exc.fields or {})
    if errors:
        raise Invalid("Please correct the highlighted fields.", fields=errors)
    if "email" in wanted:
        _count_address_change(actor)
        if db.session.scalar(select(User.id).where(User.email == new_email)) is not None:
            raise Conflict("Another account uses that address.", fields={"email": "Used by another account."})
    new_hash = hash_password(wanted["password"]) if "password" in wanted else None
    old_email = actor.email
    try:
        with transaction() as tx:
            user = tx.session.get(User, actor.id, populate_existing=True)
            if user is None:
                raise NotFound("No such account.")
            if "name" in wanted:
                user.name = wanted["name"].strip()
            if "email" in wanted:
                user.email, user.email_verified_at = new_email, None
                tx.session.flush()  # a taken address fails here, before any email is queued
                _void_reset_links(tx, user.id)
                enqueue_verification(tx, user.id, user.name, new_email, change=True)
                enqueue(tx, to=old_email, template="email_changed", purpose="email_changed", context={
                    "name": user.name, "old": old_email, "new": new_email,
                    "undo_url": undo_email_url(user.id, old_email, new_email)})
            if new_hash is not None:
                user.password_hash = new_hash
                _void_reset_links(tx, user.id)
                revoke_credentials(tx, user.id, keep_session=keep_session, keep_token=keep_token)
                _password_changed_notice(tx, user, old_email, "from your account settings")
    except IntegrityError:
        raise Conflict("Another account uses that address.", fields={"email": "Used by another account."}) from None
    return user


UNDO_INVALID = "This link is not valid or has expired. If someone else has your account, ask for a password reset."


def undo_email_url(user_id: int, old: str, new: str) -> str:
    """The link in the notice to the old address: "this was not me" puts it back (for a week)."""
    token = signing.sign(current_app.config["SECRET_KEY"], "undo-email", [user_id, old, new])
    return public_url(f"/account/undo-email/{token}")


def undo_email_preview(token: Any) -> dict[str, str]:
    """What the link would do (the page asks before doing it: mail scanners open links)."""
    user_id, old, new = _undo_payload(token)
    _check_undo(db.session.scalar(select(User.email).where(User.id == user_id)), old, new)
    return {"old": old, "new": new}


def _check_undo(email: str | None, old: str, new: str) -> None:
    """The link undoes the one change it was sent for, while the account is still at that address: not
    a later one (its owner may have moved on), and once only (undone, it is back at `old`)."""
    if email is None:
        raise Invalid(UNDO_INVALID, code="undo_link_invalid")
    if email == old:
        raise Conflict(f"Your account already uses {old}.", code="already_undone")
    if email != new:
        raise Conflict("The account's address has changed again since this link was sent, so it no longer "
                       "applies. If someone else has your account, ask for a password reset or contact whoever "
                       "runs this Workspace.", code="undo_link_stale")


def undo_email_change(token: Any) -> str:
    """The owner of the old address takes the account back: it uses that address again (confirmed: the
    link came to it), every session and token ends, and a fresh reset link (returned, not emailed)
    lets them choose a new password, since whoever changed the address knows the old one."""
    user_id, old, new = _undo_payload(token)
    raw = secrets.token_urlsafe(32)
    ttl = int(current_app.config["PASSWORD_RESET_TTL"])
    try:
        with transaction() as tx:
            user = tx.session.scalar(select(User).where(User.id == user_id).with_for_update()
                                     .execution_options(populate_existing=True))
            _check_undo(user.email if user else None, old, new)
            assert user is not None
            user.email, user.email_verified_at = old, utcnow()
            tx.session.flush()  # another account took the old address meanwhile: fails here
            _void_reset_links(tx, user.id)
            revoke_credentials(tx, user.id)
            tx.session.add(PasswordResetToken(user_id=user.id, token_hash=digest(raw),
                                              expires_at=utcnow() + timedelta(seconds=ttl)))
    except IntegrityError:
        raise Conflict(f"Another account uses {old} now, so it cannot come back to this one. "
                       "Contact whoever runs this Workspace.", code="address_taken") from None
    limiter.clear_prefix(login_limit_prefix(old))
    return raw


def _undo_payload(token: Any) -> tuple[int, str, str]:
    payload = signing.unsign(current_app.config["SECRET_KEY"], "undo-email", token)
    if not (isinstance(payload, list) and len(payload) == 3 and isinstance(payload[0], int)
            and all(isinstance(p, str) for p in payload[1:])):
        raise Invalid(UNDO_INVALID, code="undo_link_invalid")
    return payload[0], payload[1], payload[2]


def _count_address_change(actor: User) -> None:
    """An account may try a few new addresses an hour (EMAIL_CHANGE_LIMIT_PER_ACCOUNT). Saying that an
    address is taken tells whether an account uses it; sign-up hides that, and this caps how many
    addresses one account can test (accounts themselves are capped per network address)."""
    limit, window = current_app.config["EMAIL_CHANGE_LIMIT_PER_ACCOUNT"]
    if limiter.hit(f"email-change:{actor.id}", window) > limit:
        raise RateLimited("Too many address changes in a short time. Try again in an hour.",
                          retry_after=limiter.retry_after(window))


def _check_current_password(actor: User, current: str) -> None:
    """The current password, guessed at most as often as a login (a slot is taken before the check)."""
    limit, window = current_app.config["LOGIN_LIMIT_PER_ACCOUNT"]
    key = f"{login_limit_prefix(actor.email)}current"
    if limiter.hit(key, window) > limit:
        raise RateLimited("Too many wrong passwords. Wait a few minutes and try again.",
                          retry_after=limiter.retry_after(window))
    ok, _rehash = verify_password(actor.password_hash, current[:PASSWORD_MAX])
    if not ok:
        raise Invalid("Your current password is not right.",
                      fields={"current_password": "That is not your current password."})
    limiter.release(key, window)
