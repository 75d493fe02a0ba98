#!/usr/bin/env python3
"""Verify a Workspace dossier with the Python standard library alone (shipped in every dossier as verify.py).

    python3 -I verify.py [--key PUBLIC_KEY] [--checkpoint EARLIER.json ...] [FOLDER]

Checks, printing each: the manifest's signature (signature.json), every file's sha256 and size against
manifest.json, the event log's hash chain (events.jsonl: each event's content digest, its link to the one
before, its hash), the signed checkpoint (checkpoint.json) and that the log extends it, and that the log
extends any earlier checkpoint you kept (--checkpoint, from GET /api/v1/jobs/<job>/checkpoint or an older
dossier). Exits 0 only when every check passes; otherwise each failure names the file or event.

The signatures are the server's Ed25519 key. A dossier carries that public key; anyone who rewrote the
whole dossier could carry their own, so compare the key id printed below with GET /api/v1/keys of the
instance (or pass the key you saved with --key). The chain rule here is the server's (domain/chain.py).
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import json
import sys
from pathlib import Path, PurePosixPath
from typing import Any, Callable, Tuple

GENESIS_HASH = "0" * 64
CHUNK = 1 << 20
MAX_REPORTED = 20  # per kind of failure in the event log, then a count

# ---------------------------------------------------------------- Ed25519 verification (RFC 8032, section 6)

_P = 2 ** 255 - 19
_Q = 2 ** 252 + 27742317777372353535851937790883648493
_D = -121665 * pow(121666, _P - 2, _P) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)
Point = Tuple[int, int, int, int]  # extended coordinates (X, Y, Z, T); typing.Tuple runs on Python 3.8 too


def _add(a: Point, b: Point) -> Point:
    x = (a[1] - a[0]) * (b[1] - b[0]) % _P
    y = (a[1] + a[0]) * (b[1] + b[0]) % _P
    c, d = 2 * a[3] * b[3] * _D % _P, 2 * a[2] * b[2] % _P
    e, f, g, h = y - x, d - c, d + c, y + x
    return (e * f, g * h, f * g, e * h)


def _mul(s: int, point: Point) -> Point:
    result = (0, 1, 1, 0)
    while s > 0:
        if s & 1:
            result = _add(result, point)
        point = _add(point, point)
        s >>= 1
    return result


def _equal(a: Point, b: Point) -> bool:
    return (a[0] * b[2] - b[0] * a[2]) % _P == 0 and (a[1] * b[2] - b[1] * a[2]) % _P == 0


def _recover_x(y: int, sign: int) -> int | None:
    if y >= _P:
        return None
    x2 = (y * y - 1) * pow(_D * y * y + 1, _P - 2, _P)
    if x2 % _P == 0:
        return None if sign else 0
    x = pow(x2, (_P + 3) // 8, _P)
    if (x * x - x2) % _P != 0:
        x = x * _SQRT_M1 % _P
    if (x * x - x2) % _P != 0:
        return None
    return _P - x if (x & 1) != sign else x


_GY = 4 * pow(5, _P - 2, _P) % _P
_GX = _recover_x(_GY, 0) or 0
_G = (_GX, _GY, 1, _GX * _GY % _P)


def _decompress(raw: bytes) -> Point | None:
    y = int.from_bytes(raw, "little")
    sign, y = y >> 255, y & ((1 << 255) - 1)
    x = _recover_x(y, sign)
    return None if x is None else (x, y, 1, x * y % _P)


def ed25519_verify(public: bytes, message: bytes, signature: bytes) -> bool:
    """RFC 8032's reference verification: [s]B == R + [H(R, A, M)]A."""
    if len(public) != 32 or len(signature) != 64:
        return False
    a, r = _decompress(public), _decompress(signature[:32])
    s = int.from_bytes(signature[32:], "little")
    if a is None or r is None or s >= _Q:
        return False
    h = int.from_bytes(hashlib.sha512(signature[:32] + public + message).digest(), "little") % _Q
    return _equal(_mul(s, _G), _add(r, _mul(h, a)))


# ---------------------------------------------------------------- the chain rule (as domain/chain.py)

def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def data_digest(data: Any) -> str:
    return hashlib.sha256(canonical_json(data).encode()).hexdigest()


def event_hash(prev_hash: str, e: dict[str, Any]) -> str:
    canonical = {"job": e["job"], "seq": e["seq"], "type": e["type"], "at": e["at"], "actor_id": e["actor_id"],
                 "data_digest": e["data_digest"]}
    return hashlib.sha256((prev_hash + canonical_json(canonical)).encode()).hexdigest()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def key_id(public: bytes) -> str:
    return hashlib.sha256(public).hexdigest()[:16]


# ---------------------------------------------------------------- checking

class Report:
    """Collects what was checked; every line is printed as it is found."""

    def __init__(self, say: Callable[[str], None]) -> None:
        self.say, self.passed, self.failed = say, 0, []  # type: ignore[var-annotated]

    def ok(self, text: str) -> None:
        self.passed += 1
        self.say(f"ok    {text}")

    def fail(self, where: str, text: str) -> None:
        self.failed.append(f"{where}: {text}")
        self.say(f"FAIL  {where}: {text}")

    def note(self, text: str) -> None:
        self.say(f"note  {text}")


def _load_json(folder: Path, name: str, report: Report) -> Any:
    try:
        return json.loads((folder / name).read_bytes().decode("utf-8"))
    except FileNotFoundError:
        report.fail(name, "missing")
    except (UnicodeDecodeError, ValueError) as exc:
        report.fail(name, f"not valid JSON ({exc.__class__.__name__}: {exc})")
    return None


def _sha256_of(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _safe_name(name: Any) -> bool:
    if not isinstance(name, str) or not name or "\\" in name:
        return False
    parts = PurePosixPath(name).parts
    return not PurePosixPath(name).is_absolute() and all(p not in ("", ".", "..") for p in parts)


def _signed(statement: Any, public: bytes | None) -> bool:
    """Whether {signed|checkpoint, signature} is the key's Ed25519 signature of the canonical JSON."""
    if public is None or not isinstance(statement, dict):
        return False
    body = statement.get("checkpoint", statement.get("signed"))
    try:
        signature = unb64(str(statement.get("signature", "")))
    except ValueError:
        return False
    return isinstance(body, dict) and ed25519_verify(public, canonical_json(body).encode(), signature)


def check_files(folder: Path, manifest: Any, report: Report) -> None:
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, dict):
        report.fail("manifest.json", "no 'files' table")
        return
    for name in sorted(files):
        entry = files[name]
        if not _safe_name(name) or not isinstance(entry, dict):
            report.fail("manifest.json", f"bad entry {name!r}")
            continue
        path = folder / name
        if not path.is_file():
            report.fail(name, "missing (listed in manifest.json)")
            continue
        digest, size = _sha256_of(path)
        if digest != entry.get("sha256") or size != entry.get("size"):
            report.fail(name, f"sha256 {digest} ({size} bytes) is not the manifest's {entry.get('sha256')} "
                              f"({entry.get('size')} bytes): the file was changed")
        else:
            report.ok(f"{name}  sha256 {digest[:16]}... {size} bytes")
    listed = set(files) | {"manifest.json", "signature.json"}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = path.relative_to(folder).as_posix()
        if name not in listed and "__pycache__" not in name:
            report.note(f"{name} is not in the manifest (not part of the dossier; ignored)")


def _erasure_justified(e: dict[str, Any], changed: dict[Any, int]) -> bool:
    """The server's rule: only a message's text is erased, and only once a later edit or delete of that
    message (whose own content is checked) says so."""
    if not e.get("erased_at") or e["type"] not in ("message.posted", "message.edited"):
        return False
    message = (e.get("data") or {}).get("message") or {}
    if not isinstance(message, dict) or message.get("body") or message.get("html"):
        return False
    return changed.get(message.get("id"), 0) > e["seq"]


def read_events(folder: Path, report: Report) -> list[dict[str, Any]] | None:
    events = []
    try:
        lines = (folder / "events.jsonl").read_bytes().decode("utf-8").splitlines()
    except FileNotFoundError:
        report.fail("events.jsonl", "missing")
        return None
    except UnicodeDecodeError as exc:
        report.fail("events.jsonl", f"not UTF-8 ({exc})")
        return None
    for number, line in enumerate(lines, 1):
        try:
            e = json.loads(line)
            if not isinstance(e, dict) or not isinstance(e.get("seq"), int):
                raise ValueError("not an event")
            for key in ("job", "type", "at", "data_digest", "prev_hash", "hash"):
                if not isinstance(e.get(key), str):
                    raise ValueError(f"no {key}")
            if "data" not in e or not (e.get("actor_id") is None or type(e["actor_id"]) is int):
                raise ValueError("no data or actor_id")
        except ValueError as exc:
            report.fail(f"events.jsonl line {number}", f"unreadable ({exc})")
            return None
        events.append(e)
    return events


def check_chain(events: list[dict[str, Any]], report: Report) -> None:
    def message_id(e: dict[str, Any]) -> Any:
        message = (e.get("data") or {}).get("message") if isinstance(e.get("data"), dict) else None
        return message.get("id") if isinstance(message, dict) else None

    changed = {message_id(e): e["seq"] for e in events
               if not e.get("erased_at") and e["type"] in ("message.edited", "message.deleted")}
    prev, failures, erased = GENESIS_HASH, 0, 0
    for expected_seq, e in enumerate(events, 1):
        where = f"events.jsonl seq {e['seq']} ({e['type']})"
        problems = []
        if e["seq"] != expected_seq:
            problems.append(f"expected seq {expected_seq}: events are missing or out of order")
        if e["prev_hash"] != prev:
            problems.append(f"prev_hash {e['prev_hash'][:16]}... does not name the hash before it ({prev[:16]}...)")
        if event_hash(e["prev_hash"], e) != e["hash"]:
            problems.append("its hash does not recompute from its fields: the event was changed")
        if _erasure_justified(e, changed):
            erased += 1
        elif data_digest(e.get("data")) != e["data_digest"]:
            problems.append("its data does not match its data_digest: the content was changed")
        if problems:
            failures += 1
            if failures <= MAX_REPORTED:
                report.fail(where, "; ".join(problems))
        prev = e["hash"]
    if failures > MAX_REPORTED:
        report.fail("events.jsonl", f"{failures - MAX_REPORTED} more events failed")
    if not failures:
        report.ok(f"events.jsonl  {len(events)} events chain from seq 1 to {len(events)}; every hash recomputes, "
                  f"every content digest matches ({erased} erased on purpose, linked by their digest)")


def check_head(events: list[dict[str, Any]], signed: Any, public: bytes | None, where: str, report: Report,
               job: str | None) -> None:
    """A signed checkpoint: its signature, and that the log extends it (same hash at its seq)."""
    if not _signed(signed, public):
        report.fail(where, "the signature does not verify with the key")
        return
    head = signed["checkpoint"]
    report.ok(f"{where}  signature verifies (job {head.get('job')}, seq {head.get('seq')}, at {head.get('at')})")
    if job is not None and head.get("job") != job:
        report.fail(where, f"it is for job {head.get('job')}, this dossier is job {job}")
        return
    seq = head.get("seq")
    if not isinstance(seq, int) or seq < 0:
        report.fail(where, "no seq")
    elif seq == 0:
        report.ok(f"{where}  signs an empty history")
    elif seq > len(events):
        report.fail(where, f"the signed head is seq {seq} but events.jsonl ends at seq {len(events)}: "
                           "events were removed after it was signed")
    elif events[seq - 1]["hash"] != head.get("hash"):
        report.fail(where, f"the signed head is seq {seq} with hash {str(head.get('hash'))[:16]}..., but events.jsonl "
                           f"has {events[seq - 1]['hash'][:16]}... there: the history was rewritten after it was signed")
    else:
        report.ok(f"{where}  events.jsonl extends the signed head (seq {seq}, hash {head['hash'][:16]}...)")


def verify(folder: Path, *, key: str | None = None, earlier: list[Path] | None = None,
           say: Callable[[str], None] = print) -> list[str]:
    """Run every check on an unzipped dossier; the failures (none when it verifies)."""
    report = Report(say)
    manifest_raw = (folder / "manifest.json").read_bytes() if (folder / "manifest.json").is_file() else None
    manifest = _load_json(folder, "manifest.json", report)
    checkpoint = _load_json(folder, "checkpoint.json", report)
    signature = _load_json(folder, "signature.json", report)
    job = manifest.get("job") if isinstance(manifest, dict) else None

    public = None
    try:
        if key:
            public = unb64(key)
            say(f"key   {key_id(public)} (given with --key)")
        elif isinstance(checkpoint, dict) and isinstance(checkpoint.get("public_key"), str):
            public = unb64(checkpoint["public_key"])
            say(f"key   {key_id(public)} (from checkpoint.json; compare with GET /api/v1/keys of the instance)")
    except ValueError:
        public = None
    if public is None or len(public) != 32:
        report.fail("checkpoint.json" if not key else "--key", "no usable Ed25519 public key")
        public = None

    if manifest_raw is not None and signature is not None:
        if not _signed(signature, public):
            report.fail("signature.json", "the manifest's signature does not verify with the key")
        elif signature["signed"].get("manifest_sha256") != hashlib.sha256(manifest_raw).hexdigest():
            report.fail("manifest.json", "its sha256 is not the one signed in signature.json: the manifest was changed")
        elif signature["signed"].get("job") != job:
            report.fail("signature.json", "signed for another job")
        else:
            report.ok(f"manifest.json  signed by the key (signature.json, at {signature['signed'].get('at')})")
    if manifest is not None:
        check_files(folder, manifest, report)

    events = read_events(folder, report)
    if events is not None:
        if job is not None and any(e["job"] != job for e in events):
            report.fail("events.jsonl", f"holds events of another job than {job}")
        check_chain(events, report)
        if checkpoint is not None:
            check_head(events, checkpoint, public, "checkpoint.json", report, job)
        for path in earlier or []:
            try:
                kept = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                report.fail(str(path), f"unreadable ({exc})")
                continue
            check_head(events, kept, public, str(path), report, job)

    if report.failed:
        say(f"\nFAILED: {len(report.failed)} of {report.passed + len(report.failed)} checks failed:")
        for failure in report.failed:
            say(f"  - {failure}")
    else:
        say(f"\nVerified: all {report.passed} checks passed (job {job}).")
    return report.failed


def verify_zip(path: Path, *, key: str | None = None, earlier: list[Path] | None = None,
               say: Callable[[str], None] = print) -> list[str]:
    """Unzip a dossier into a temporary folder and verify it (what `flask dossier verify FILE` does)."""
    import tempfile
    import zipfile

    with tempfile.TemporaryDirectory(prefix="dossier-") as tmp:
        try:
            with zipfile.ZipFile(path) as zf:
                zf.extractall(tmp)  # names with ".." or a leading "/" are made safe by zipfile
        except (OSError, zipfile.BadZipFile) as exc:
            say(f"FAIL  {path}: not a readable zip ({exc})")
            return [f"{path}: not a readable zip"]
        tops = [p.parent for p in Path(tmp).rglob("manifest.json")]
        if len(tops) != 1:
            say(f"FAIL  {path}: expected one dossier folder with a manifest.json, found {len(tops)}")
            return [f"{path}: no single dossier folder"]
        say(f"unzipped {path.name} ({tops[0].name})")
        return verify(tops[0], key=key, earlier=earlier, say=say)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Verify a Workspace dossier (standard library only).")
    parser.add_argument("folder", nargs="?", default=None, help="the unzipped dossier (default: this file's folder)")
    parser.add_argument("--key", help="the instance's public key (base64url), as GET /api/v1/keys gives it")
    parser.add_argument("--checkpoint", action="append", type=Path, default=[],
                        help="an earlier signed checkpoint (JSON) the history must extend; repeatable")
    args = parser.parse_args(argv)
    folder = Path(args.folder) if args.folder else Path(__file__).resolve().parent
    if not folder.is_dir():
        print(f"{folder} is not a folder (unzip the dossier first)", file=sys.stderr)
        return 2
    return 1 if verify(folder, key=args.key, earlier=args.checkpoint) else 0


if __name__ == "__main__":
    sys.exit(main())
