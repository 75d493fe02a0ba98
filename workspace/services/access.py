"""Loading a job as a given member, and refusing what their role may not do."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, bindparam, exists, select, update
from sqlalchemy.orm import Session

from workspace.db import Guard, table_of
from workspace.single_read import read_first
from workspace.domain.ids import is_id
from workspace.domain.errors import Forbidden, NotFound
from workspace.domain.roles import PERMISSIONS, can
from workspace.models import ApiToken, Job, LoginSession, Membership, User

JOB_NOT_FOUND = "No such job, or you are not a member of it."


def load_member(session: Session, actor: User, public_id: str, *, lock: bool = False) -> tuple[Job, Membership]:
    """The job and the actor's membership; NotFound for outsiders (existence is not leaked)."""
    if not isinstance(public_id, str) or not public_id or len(public_id) > 64:
        raise NotFound(JOB_NOT_FOUND)
    query = select(Job).where(Job.public_id == public_id)
    if lock:
        query = query.with_for_update()
    job = session.scalar(query)
    if job is None:
        raise NotFound(JOB_NOT_FOUND)
    membership = session.scalar(
        select(Membership).where(Membership.job_id == job.id, Membership.user_id == actor.id)
    )
    if membership is None:
        raise NotFound(JOB_NOT_FOUND)
    return job, membership


def member_of(session: Session, job: Job, user_id: Any) -> tuple[Membership, User]:
    """Another member of the job (the one an action is about) and their account; NotFound otherwise."""
    target = session.scalar(select(Membership).where(Membership.job_id == job.id, Membership.user_id == user_id)) \
        if is_id(user_id) else None
    if target is None:
        raise NotFound("That person is not a member of this job.")
    user = session.get(User, target.user_id)
    assert user is not None  # memberships cascade with their account
    return target, user


T = TypeVar("T")


def load_in_job(session: Session, actor: User, model: type[T], row_id: Any, not_found: str, *,
                lock: bool = False) -> tuple[T, Job, Membership]:
    """A row that belongs to a job (it has `job_id`), that job and the actor's membership.
    Outsiders get the same 404 as a missing row; `lock` takes the row's write lock (PostgreSQL)."""
    if not is_id(row_id):
        raise NotFound(not_found)
    query = select(model).where(model.id == row_id)  # type: ignore[attr-defined]
    row = session.scalar(query)
    if row is None:
        raise NotFound(not_found)
    job_pk = row.job_id  # type: ignore[attr-defined]
    membership = session.scalar(select(Membership).where(Membership.job_id == job_pk,
                                                         Membership.user_id == actor.id))
    if membership is None:
        raise NotFound(not_found)
    if lock:
        lock_job(session, job_pk)
        row = session.scalar(query.with_for_update().execution_options(populate_existing=True))
        if row is None:
            raise NotFound(not_found)
    job = session.get(Job, job_pk)
    assert job is not None
    return row, job, membership


def lock_job(session: Session, job_pk: int) -> None:
    """Take the job row's write lock (PostgreSQL; SQLite's BEGIN IMMEDIATE already serializes writes).

    Decisions that read the job's balances (what is owed, the deposits left) and then post must not
    interleave: two confirmations or two approvals of different rows each saw the same balance. So
    every such path locks the job first, then its own row: one order, no deadlock."""
    session.execute(select(Job.id).where(Job.id == job_pk).with_for_update())


def require(membership: "Membership | Seat", action: str, message: str | None = None) -> None:
    """Raise Forbidden unless the member's role allows `action`."""
    if not can(membership.role, action):
        raise Forbidden(message or f"As a {membership.role} in this job you cannot do that.")


@dataclass(frozen=True)
class Seat:
    """A member's place in a job as a socket keeps it between actions: enough to act without loading
    the rows. It stands in for the `Job` in `Transaction.record` (`id`, `public_id`, `title`)."""

    id: int  # the job's primary key
    public_id: str
    title: str
    role: str
    user_id: int

    @classmethod
    def of(cls, job: Job, membership: Membership) -> "Seat":
        return cls(job.id, job.public_id, job.title, membership.role, membership.user_id)


@lru_cache(maxsize=None)
def _may_clause(action: str) -> ColumnElement[bool]:
    m = Membership.__table__.c
    return exists().where(m.job_id == bindparam("may_job"), m.user_id == bindparam("may_user"),
                          m.role.in_(sorted(PERMISSIONS.get(action, frozenset()))))


def still_may(user_id: int, job_pk: int, action: str) -> Guard:
    """SQL: the person is (still) a member of the job whose role allows `action`. A guard for the
    statement that writes (`Transaction.record(guard=...)`), so no earlier read can be stale."""
    return Guard(_may_clause(action), {"may_job": job_pk, "may_user": user_id})


@lru_cache(maxsize=None)
def _signed_in_clause(kind: str) -> ColumnElement[bool]:
    table = (LoginSession if kind == "login" else ApiToken).__table__.c
    return exists().where(table.id == bindparam("cred_id"), table.user_id == bindparam("cred_user"),
                          table.revoked_at.is_(None))


def still_signed_in(user_id: int, login_session: str | None, token_id: int | None) -> Guard:
    """SQL: the login session or API token a socket connected with is (still) live."""
    if login_session is not None:
        return Guard(_signed_in_clause("login"), {"cred_id": login_session, "cred_user": user_id})
    return Guard(_signed_in_clause("token"), {"cred_id": token_id, "cred_user": user_id})


@lru_cache(maxsize=None)
def _seat_query() -> Any:
    j, m = Job.__table__.c, Membership.__table__.c
    return (select(j.id, j.public_id, j.title, m.role, m.user_id)
            .join(Membership.__table__, m.job_id == j.id)
            .where(j.public_id == bindparam("job"), m.user_id == bindparam("user")))


def load_seat(actor: User, public_id: Any) -> Seat:
    """`load_member` in one statement (its own snapshot, outside the session), as a Seat (what a socket
    keeps); NotFound for outsiders."""
    if not isinstance(public_id, str) or not public_id or len(public_id) > 64:
        raise NotFound(JOB_NOT_FOUND)
    row = read_first(_seat_query(), {"job": public_id, "user": actor.id})
    if row is None:
        raise NotFound(JOB_NOT_FOUND)
    return Seat(*row)


@lru_cache(maxsize=None)
def _token_query() -> Any:
    users, tokens = User.__table__, ApiToken.__table__
    return (select(users, tokens.c.id.label("token_id"), tokens.c.last_used_at.label("token_last_used"))
            .join(tokens, tokens.c.user_id == users.c.id)
            .where(tokens.c.token_hash == bindparam("hash"), tokens.c.revoked_at.is_(None)))


@lru_cache(maxsize=None)
def _user_keys() -> tuple[str, ...]:
    """The User attribute of each users column, in the token query's column order."""
    return tuple(User.__mapper__.get_property_by_column(c).key for c in User.__table__.c)


def socket_token(raw: Any) -> tuple[User, int] | None:
    """`accounts.resolve_api_token` for a socket's connect (a reconnect wave makes thousands): one
    prebuilt statement, and the user as a copy of the row that belongs to no session (what the socket
    keeps). (owner, token id) of a live token, or None; `last_used_at` is kept the same way."""
    from workspace.db import transaction, utcnow
    from workspace.services.accounts import TOKEN_PREFIX
    from workspace.tokens import digest

    if not isinstance(raw, str) or not raw.startswith(TOKEN_PREFIX) or len(raw) > 100:
        return None
    row = read_first(_token_query(), {"hash": digest(raw)})
    if row is None:
        return None
    keys = _user_keys()
    user = User(**dict(zip(keys, row)))
    token_id, last_used = row[len(keys)], row[len(keys) + 1]
    now = utcnow()
    if last_used is None or (now - last_used).total_seconds() > 60:
        with transaction() as tx:
            tx.session.execute(update(table_of(ApiToken)).where(ApiToken.__table__.c.id == token_id)
                               .values(last_used_at=now))
    return user, token_id
