"""Files on disk: streamed in under random names, content type sniffed, image thumbnails made."""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from workspace.domain.errors import Invalid, TooLarge
from workspace.green import bounded, run_blocking

CHUNK = 64 * 1024
THUMB_SIZE = (320, 320)
# A 400 KB PNG can hold 12000x12000 pixels (~550 MB decoded): the size is read from the header and
# anything past this is refused before a single pixel is decoded. Decoding runs two at a time.
MAX_PIXELS = 40_000_000
_decoding = bounded(2)

# Magic numbers of the types we recognise; anything else is served as a download.
SIGNATURES: list[tuple[bytes, int, str]] = [
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"WEBP", 8, "image/webp"),
    (b"%PDF-", 0, "application/pdf"),
    (b"PK\x03\x04", 0, "application/zip"),
]
IMAGE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp"}


@dataclass
class StoredFile:
    storage_name: str
    size: int
    content_type: str
    thumb_name: str | None = None
    width: int | None = None
    height: int | None = None


def sniff(head: bytes) -> str:
    """The content type from the first bytes, never from the client's say-so."""
    for magic, offset, kind in SIGNATURES:
        if head[offset:offset + len(magic)] == magic and (kind != "image/webp" or head[:4] == b"RIFF"):
            return kind
    try:
        head.decode("utf-8")
        return "text/plain"
    except UnicodeDecodeError:
        # A multi-byte character may be cut at the end of the sample.
        try:
            head[:-3].decode("utf-8")
            return "text/plain" if head else "application/octet-stream"
        except UnicodeDecodeError:
            return "application/octet-stream"


def save_stream(stream: IO[bytes], directory: Path, max_bytes: int) -> StoredFile:
    """Copy a stream to `directory` in chunks; refuse it (and keep nothing) past max_bytes."""
    directory.mkdir(parents=True, exist_ok=True)
    name = secrets.token_urlsafe(24)
    path = directory / name
    size, head = 0, b""
    try:
        with open(path, "xb") as out:
            while True:
                chunk = stream.read(CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    raise TooLarge(f"Files are limited to {max_bytes // (1024 * 1024)} MB.")
                if len(head) < 512:
                    head += chunk[: 512 - len(head)]
                out.write(chunk)
        if size == 0:
            raise Invalid("The file is empty.", fields={"file": "Empty file."})
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    stored = StoredFile(storage_name=name, size=size, content_type=sniff(head))
    if stored.content_type in IMAGE_TYPES:
        try:
            with _decoding:
                run_blocking(_thumbnail, directory, stored)
        except BaseException:
            remove(directory, name, stored.thumb_name)
            raise
    return stored


def _thumbnail(directory: Path, stored: StoredFile) -> None:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(directory / stored.storage_name) as image:  # reads the header only
            stored.width, stored.height = image.size
            if image.width * image.height > MAX_PIXELS:
                raise TooLarge(f"Images are limited to {MAX_PIXELS // 1_000_000} megapixels; this one is "
                               f"{image.width} x {image.height}.")
            image.draft("RGB", THUMB_SIZE)  # JPEG: decode at a reduced scale
            image.thumbnail(THUMB_SIZE)
            thumb = image.convert("RGB")
            stored.thumb_name = stored.storage_name + ".thumb.jpg"
            thumb.save(directory / stored.thumb_name, "JPEG", quality=82)
    except Image.DecompressionBombError as exc:  # Pillow's own guard, for sizes past twice its limit
        raise TooLarge(f"Images are limited to {MAX_PIXELS // 1_000_000} megapixels.") from exc
    except (UnidentifiedImageError, OSError):
        stored.content_type = "application/octet-stream"  # it only looked like an image
        stored.thumb_name = None


def remove(directory: Path, *names: str | None) -> None:
    for name in names:
        if name:
            try:
                os.unlink(directory / name)
            except FileNotFoundError:
                pass
