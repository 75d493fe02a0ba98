"""A job's dossier: the record a member can take away and prove, as one zip written in pieces.

`prepare` checks membership and reads what is small (the job, agreements, ledger, the head it signs, the
file list); `chunks` then writes the zip through a sink that is drained after every piece, so the caller
streams it (HTTP) or writes it to a file (tests, the CLI) and nothing is held whole: attachments are
copied by chunks, the event log and the timeline are read with a cursor. Every file's sha256 goes into
manifest.json, whose digest the instance signs (signature.json); verify.py (workspace/dossier_verify.py)
checks all of it with the standard library alone.
"""
from __future__ import annotations

import hashlib
import json
import re
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator

from sqlalchemy import or_, select

from workspace.db import iso
from workspace.extensions import db
from workspace.models import Attachment, Event, Job, Snapshot, User
from workspace.services import checkpoints, dossier_docs
from workspace.services.access import load_member

CHUNK = 1 << 20  # bytes read from a file, and the sink's size before it is drained
ZIP64_FROM = 1 << 30  # entries this big (or bigger) are written with ZIP64 headers
VERIFIER = Path(__file__).resolve().parent.parent / "dossier_verify.py"


@dataclass
class DossierFile:
    """An attachment or snapshot that goes into the zip, copied from `path` by chunks."""

    name: str  # path inside the dossier
    label: str  # what people called it
    path: Path
    size: int


@dataclass
class Plan:
    """What `prepare` read for one member's dossier; `chunks` writes it."""

    actor: User
    job: Job
    head: int
    view: dict[str, Any]
    agreements: list[dict[str, Any]]
    ledger: dict[str, Any]
    checkpoint: dict[str, Any]
    files: list[DossierFile]
    receipts: list[int]
    invoices: list[dict[str, Any]]
    disputes: list[dict[str, Any]]
    manifest: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def folder(self) -> str:
        return f"dossier-{self.job.public_id}"

    @property
    def filename(self) -> str:
        return f"{self.folder}.zip"

    @property
    def estimate(self) -> int:
        """About how many bytes the zip will be, for a progress bar (it is streamed without a length):
        files are stored as they are, the log and documents are small beside them."""
        return sum(f.size for f in self.files) + 400 * self.head + 60_000 * (len(self.agreements) + len(self.receipts)
                                                                            + len(self.invoices) + 2) + 40_000


def prepare(actor: User, job_id: str, *, upload_dir: Path) -> Plan:
    """Check that the actor is a member (404 otherwise, as every job route) and read the small parts."""
    from workspace.services.agreements import list_agreements
    from workspace.services.disputes import list_disputes
    from workspace.services.invoices import list_invoices
    from workspace.services.jobs import get_job
    from workspace.services.ledger import get_ledger

    job, _membership = load_member(db.session(), actor, job_id)
    head = job.last_seq
    view = {k: v for k, v in get_job(actor, job_id).items() if k not in ("limits", "last_read_seq", "my_review")}
    return Plan(
        actor=actor, job=job, head=head, view=view,
        agreements=sorted(list_agreements(actor, job_id), key=lambda a: a["version"]),
        ledger=get_ledger(actor, job_id),
        checkpoint={**checkpoints.sign_head(job, head), "public_key": checkpoints.public_key()},
        files=_files(job, upload_dir),
        receipts=[p["id"] for p in view["payments"] if p["status"] == "confirmed"],
        invoices=list_invoices(actor, job_id),
        disputes=list_disputes(actor, job_id),
    )


_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")


def _safe(name: str) -> str:
    """A file name that is the same on every system and cannot climb out of its folder."""
    cleaned = _UNSAFE.sub("_", name).strip(" .")[:120]
    return cleaned or "file"


def _files(job: Job, upload_dir: Path) -> list[DossierFile]:
    """Files sent in messages and submissions, and diary snapshots, that were not deleted (and still exist)."""
    kept_snapshots = select(Snapshot.attachment_id).where(Snapshot.job_id == job.id, Snapshot.deleted_at.is_(None))
    rows = db.session.execute(
        select(Attachment.public_id, Attachment.filename, Attachment.storage_name, Attachment.message_id,
               Attachment.submission_id)
        .where(Attachment.job_id == job.id, Attachment.erased_at.is_(None), Attachment.storage_name != "",
               or_(Attachment.message_id.is_not(None), Attachment.submission_id.is_not(None),
                   Attachment.id.in_(kept_snapshots)))
        .order_by(Attachment.id)
    ).all()
    out = []
    for public_id, filename, storage_name, message_id, submission_id in rows:
        path = upload_dir / storage_name
        try:
            size = path.stat().st_size
        except OSError:
            continue  # gone from the disk (a deletion racing this read): nothing to copy
        folder = "files" if message_id is not None or submission_id is not None else "diary"
        out.append(DossierFile(f"{folder}/{public_id}-{_safe(filename)}", filename or public_id, path, size))
    return out


# ---------------------------------------------------------------- writing the zip

class _Sink:
    """Where zipfile writes; drained by `take` after each piece (zipfile handles a stream that cannot seek)."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def take(self) -> bytes:
        out = b"".join(self.parts)
        self.parts.clear()
        self.size = 0
        return out


def _file_pieces(f: Any) -> Iterator[bytes]:
    with f:
        while chunk := f.read(CHUNK):
            yield chunk


def _text(pieces: Iterable[str]) -> Iterator[bytes]:
    for piece in pieces:
        yield piece.encode("utf-8")


def _json(value: Any) -> bytes:
    return (json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")


def _event_rows(plan: Plan) -> Iterator[dict[str, Any]]:
    """The log up to the signed head, as stored (facts, digests, hashes), read with a cursor."""
    stmt = (select(Event.seq, Event.type, Event.at, Event.actor_id, User.name, Event.data, Event.data_digest,
                   Event.prev_hash, Event.hash, Event.erased_at)
            .outerjoin(User, User.id == Event.actor_id)
            .where(Event.job_id == plan.job.id, Event.seq <= plan.head).order_by(Event.seq)
            .execution_options(yield_per=500))
    for seq, type_, at, actor_id, name, data, digest, prev, hash_, erased_at in db.session.execute(stmt):
        yield {"job": plan.job.public_id, "seq": seq, "type": type_, "at": iso(at), "actor_id": actor_id,
               "actor": {"id": actor_id, "name": name} if actor_id is not None else None, "data": data,
               "data_digest": digest, "prev_hash": prev, "hash": hash_,
               "erased_at": iso(erased_at) if erased_at else None}


def _documents(plan: Plan) -> Iterator[tuple[str, Any]]:
    """(name, bytes or a callable giving bytes) of every generated document, in the zip's order."""
    from workspace.services.invoice_pdf import render as render_invoice
    from workspace.services.invoices import subject_label
    from workspace.services.receipts import receipt_pdf, statement_pdf

    title = plan.view["title"]
    for version in plan.agreements:
        base = f"agreements/v{version['version']}"
        yield f"{base}.md", dossier_docs.agreement_markdown(title, version).encode("utf-8")
        yield f"{base}.pdf", lambda v=version: dossier_docs.agreement_pdf(title, v)
        yield f"{base}.json", _json(version)
    yield "job.json", _json(plan.view)
    yield "ledger.json", _json(plan.ledger)
    yield "ledger.csv", dossier_docs.ledger_csv(plan.ledger).encode("utf-8")
    for payment_id in plan.receipts:
        yield f"receipts/receipt-{plan.job.public_id}-{payment_id}.pdf", \
            lambda p=payment_id: receipt_pdf(plan.actor, p)[0]
    if plan.view["agreement"] is not None:
        yield "statement.pdf", lambda: statement_pdf(plan.actor, plan.job.public_id)[0]
    for invoice in plan.invoices:
        yield f"invoices/{invoice['number']}.json", _json(invoice)
        yield f"invoices/{invoice['number']}.pdf", lambda i=invoice: render_invoice(
            i, title, subject_label(db.session(), plan.job, i.get("ref") or ""))
    if plan.disputes:
        yield "disputes.json", _json(plan.disputes)


def chunks(plan: Plan, now: datetime | None = None) -> Iterator[bytes]:
    """The dossier zip, piece by piece (each piece at most about CHUNK bytes plus one file chunk)."""
    now = now or datetime.now(timezone.utc)
    stamp = now.timetuple()[:6]
    sink = _Sink()
    zf = zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED)  # a stream that cannot seek: zipfile copes

    def put(name: str, pieces: Iterable[bytes], *, size: int = 0, compress: bool = True) -> Iterator[bytes]:
        info = zipfile.ZipInfo(f"{plan.folder}/{name}", date_time=stamp)  # type: ignore[arg-type]
        info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        info.external_attr = 0o644 << 16
        digest, length = hashlib.sha256(), 0
        with zf.open(info, "w", force_zip64=size >= ZIP64_FROM) as out:
            for piece in pieces:
                out.write(piece)
                digest.update(piece)
                length += len(piece)
                if sink.size >= CHUNK:
                    yield sink.take()
        plan.manifest[name] = {"sha256": digest.hexdigest(), "size": length}
        if sink.size:
            yield sink.take()

    yield from put("events.jsonl", (_json_line(e) for e in _event_rows(plan)))
    yield from put("checkpoint.json", [_json(plan.checkpoint)])
    yield from put("verify.py", [VERIFIER.read_bytes()])
    documents = []
    for name, content in _documents(plan):
        documents.append(name)
        yield from put(name, [content() if callable(content) else content], compress=not name.endswith(".pdf"))
    copied = []
    for f in plan.files:
        try:
            handle = f.path.open("rb")  # once open, a deletion racing the copy no longer matters
        except OSError:
            continue  # erased since `prepare` listed it: not in the dossier, nor in its index
        yield from put(f.name, _file_pieces(handle), size=f.size, compress=False)
        copied.append(f)
    listed = [(f.name, f.label, f.size) for f in copied]
    yield from put("index.html", _text(dossier_docs.index_html(
        plan.view, plan.checkpoint, listed, ["verify.py", "events.jsonl", "checkpoint.json", *documents],
        _event_rows(plan))))

    manifest = {"job": plan.job.public_id, "title": plan.view["title"], "generated_at": iso(now),
                "head": plan.checkpoint["checkpoint"], "files": dict(sorted(plan.manifest.items()))}
    manifest_bytes = _json(manifest)
    yield from put("manifest.json", [manifest_bytes])
    signed = checkpoints.sign_statement({"job": plan.job.public_id, "at": iso(now),
                                         "manifest_sha256": hashlib.sha256(manifest_bytes).hexdigest()})
    yield from put("signature.json", [_json(signed)])
    zf.close()
    if sink.size:
        yield sink.take()


def _json_line(event: dict[str, Any]) -> bytes:
    return (json.dumps(event, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n").encode("utf-8")


def write(plan: Plan, out: Any) -> None:
    """The whole zip into a writable binary file."""
    for piece in chunks(plan):
        out.write(piece)
