"""Attachments: upload to a job (members who may post), read back only by members."""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any, Callable

from sqlalchemy import delete, func, select

from workspace import storage
from workspace.db import Transaction, iso, rowcount, transaction, utcnow
from workspace.domain.errors import Conflict, Invalid, NotFound
from workspace.extensions import db
from workspace.models import Attachment, Membership, User
from workspace.services.access import load_member, require
from workspace.services.wire import attachment_wire
from workspace.tokens import public_id

FILENAME_MAX = 200
# Files uploaded but never sent: at most this many per person, and deleted after a day.
UNSENT_MAX = 20
UNSENT_TTL = timedelta(days=1)


def attachment_facts(a: Attachment) -> dict[str, Any]:
    """A file as events store it: whether it has a thumbnail, not where it is served from."""
    return {
        "id": a.public_id, "name": a.filename, "type": a.content_type, "size": a.size,
        "thumb": bool(a.thumb_name), "width": a.width, "height": a.height, "created_at": iso(a.created_at),
    }


def attachment_view(a: Attachment) -> dict[str, Any]:
    """A file as sent (with its URLs), built by the same serializer as the events that carry it."""
    return attachment_wire(attachment_facts(a))


def _clean_name(filename: Any) -> str:
    name = filename if isinstance(filename, str) else ""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"<>|:*?').strip(" .")
    return name[:FILENAME_MAX] or "file"


def upload_attachment(actor: User, job_id: str, open_file: Callable[[], tuple[IO[bytes] | None, Any]], *,
                      directory: Path, max_bytes: int) -> dict[str, Any]:
    """Stream a file to disk under a random name and record it; it is attached when a message names it.

    `open_file` is called only after the actor is known to be allowed, so outsiders cost no disk.
    """
    job, membership = load_member(db.session(), actor, job_id)
    require(membership, "file.upload", "Viewers cannot upload files.")
    if _unsent(actor.id) >= UNSENT_MAX:
        raise Conflict(f"You have {UNSENT_MAX} uploaded files that were never sent. Send or remove some first "
                       "(unsent files are deleted after a day).", code="too_many_unsent_files")
    stream, filename = open_file()
    if stream is None:
        raise Invalid("Choose a file to upload.", fields={"file": "No file in the request (field 'file')."})
    stored = storage.save_stream(stream, directory, max_bytes)
    try:
        with transaction() as tx:
            job, membership = load_member(tx.session, actor, job_id)
            require(membership, "file.upload", "Viewers cannot upload files.")
            attachment = Attachment(
                public_id=public_id(), job_id=job.id, uploader_id=actor.id, filename=_clean_name(filename),
                content_type=stored.content_type, size=stored.size, storage_name=stored.storage_name,
                thumb_name=stored.thumb_name, width=stored.width, height=stored.height)
            tx.session.add(attachment)
            tx.session.flush()
            view = attachment_view(attachment)
    except BaseException:
        storage.remove(directory, stored.storage_name, stored.thumb_name)
        raise
    return view


def _unattached() -> Any:
    """Attachments that belong to no message, submission or diary snapshot."""
    from workspace.models import Snapshot

    return ((Attachment.message_id.is_(None)) & (Attachment.submission_id.is_(None))
            & ~select(Snapshot.id).where(Snapshot.attachment_id == Attachment.id).exists())


def _unsent(user_id: int) -> int:
    return int(db.session.scalar(select(func.count()).select_from(Attachment)
                                 .where(Attachment.uploader_id == user_id, _unattached())) or 0)


def purge_unsent(directory: Path, now: datetime | None = None) -> int:
    """Delete uploads that were never attached to anything within a day (scheduled work)."""
    cutoff = (now or utcnow()) - UNSENT_TTL
    rows = list(db.session.execute(select(Attachment.id, Attachment.storage_name, Attachment.thumb_name)
                                   .where(_unattached(), Attachment.created_at < cutoff).limit(500)))
    db.fresh_snapshot()
    gone = 0
    for attachment_id, storage_name, thumb_name in rows:
        with transaction() as tx:
            deleted = tx.session.execute(delete(Attachment).where(Attachment.id == attachment_id, _unattached()))
            if not rowcount(deleted):
                continue  # attached meanwhile
        storage.remove(directory, storage_name, thumb_name)
        gone += 1
    return gone


def file_for_member(actor: User, attachment_id: str, *, thumb: bool = False) -> tuple[str, str, str]:
    """(storage name, content type, download name) when the actor is a member of the file's job."""
    attachment = db.session.scalar(select(Attachment).where(Attachment.public_id == attachment_id)) \
        if isinstance(attachment_id, str) and len(attachment_id) <= 32 else None
    member = attachment is not None and db.session.scalar(
        select(Membership.id).where(Membership.job_id == attachment.job_id, Membership.user_id == actor.id))
    if attachment is None or not member:
        raise NotFound("No such file, or you are not a member of its job.")
    if attachment.erased_at is not None:
        raise NotFound("This file was deleted with its message and is gone for everyone.", code="file_erased")
    if thumb:
        if not attachment.thumb_name:
            raise NotFound("This file has no preview.")
        return attachment.thumb_name, "image/jpeg", attachment.filename + ".jpg"
    return attachment.storage_name, attachment.content_type, attachment.filename


def erase_message_files(tx: Transaction, message_id: int, directory: Path) -> int:
    """Erase a deleted message's files: names blanked and rows marked now, files off the disk after commit.

    The rows stay (the message had files, and their ids answer "erased" instead of "unknown").
    """
    files = list(tx.session.scalars(select(Attachment).where(Attachment.message_id == message_id,
                                                             Attachment.erased_at.is_(None))))
    names = [(a.storage_name, a.thumb_name) for a in files]
    now = utcnow()
    for a in files:
        a.filename, a.storage_name, a.thumb_name, a.erased_at = "", "", None, now

    def remove_files() -> None:
        for name, thumb in names:
            storage.remove(directory, name, thumb)

    if names:
        tx.after_commit(remove_files)
    return len(files)


def purge_erased_files(directory: Path) -> int:
    """Remove from disk the files of attachments erased without it (by migration 0007); idempotent."""
    rows = list(db.session.execute(select(Attachment.id, Attachment.storage_name, Attachment.thumb_name)
                                   .where(Attachment.erased_at.is_not(None), Attachment.storage_name != "")))
    db.fresh_snapshot()
    for attachment_id, storage_name, thumb_name in rows:
        with transaction() as tx:
            attachment = tx.session.get(Attachment, attachment_id)
            if attachment is not None:
                attachment.storage_name, attachment.thumb_name = "", None
        storage.remove(directory, storage_name, thumb_name)
    return len(rows)
