"""Photo uploads: parse the multipart body, check it is an image, make a thumbnail, store it durably."""

from __future__ import annotations

import io
import os
import secrets
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image, UnidentifiedImageError
from python_multipart.multipart import MultipartParser, parse_options_header

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

ACCEPTED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
# ISO-BMFF brands of HEIC/HEIF stills; Pillow cannot decode them without a plug-in, so they are
# recognised by their magic bytes.
HEIC_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
THUMB_BOX = (320, 320)


class UploadRejected(Exception):
    """An upload the server refuses; carries the HTTP status and a one-line reason."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def __reduce__(self) -> tuple[type[UploadRejected], tuple[int, str]]:
        # Raised in a helper process and re-raised here: pickle both fields.
        return (UploadRejected, (self.status, self.message))


@dataclass(frozen=True)
class StoredPhoto:
    """An uploaded photo on disk, owned by one tenant."""

    id: str
    tenant: str
    bytes: int
    format: str
    width: int | None
    height: int | None
    path: Path
    content_type: str
    thumb_path: Path | None
    thumb_size: tuple[int, int] | None

    def public(self) -> dict[str, object]:
        return {
            "id": self.id,
            "tenant": self.tenant,
            "bytes": self.bytes,
            "format": self.format,
            "width": self.width,
            "height": self.height,
        }


class _PartState:
    """The multipart parser's callbacks, gathering each named part's data."""

    def __init__(self) -> None:
        self.name: str | None = None
        self.header = b""
        self.value = b""
        self.parts: dict[str, list[bytes]] = {}

    def callbacks(self) -> MultipartCallbacks:
        return {
            "on_part_begin": self.on_part_begin,
            "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value,
            "on_header_end": self.on_header_end,
            "on_part_data": self.on_part_data,
        }

    def on_part_begin(self) -> None:
        self.name = None

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.value += data[start:end]

    def on_header_end(self) -> None:
        if self.header.lower() == b"content-disposition":
            _, disp = parse_options_header(self.value)
            name = disp.get(b"name")
            self.name = name.decode("utf-8", "replace") if name else None
            if self.name:
                self.parts.setdefault(self.name, [])
        self.header, self.value = b"", b""

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self.name:
            self.parts[self.name].append(data[start:end])


def extract_file_part(body: bytes, content_type: str, field: str = "file") -> bytes:
    """The content of multipart field ``field``; UploadRejected (400/415) when there is none."""
    ctype, params = parse_options_header(content_type)
    if ctype != b"multipart/form-data":
        raise UploadRejected(415, f"expected a multipart/form-data body with a '{field}' field, got {ctype.decode()!r}")
    boundary = params.get(b"boundary")
    if not boundary:
        raise UploadRejected(400, "multipart body without a boundary")
    state = _PartState()
    parser = MultipartParser(boundary, callbacks=state.callbacks())
    try:
        parser.write(body)
        parser.finalize()
    except Exception as e:  # python-multipart raises its own errors for malformed bodies
        raise UploadRejected(400, f"malformed multipart body: {e}") from None
    parts = state.parts
    if field not in parts:
        raise UploadRejected(400, f"multipart body has no '{field}' field")
    return b"".join(parts[field])


def heic_dimensions(data: bytes) -> tuple[int, int] | None | bool:
    """False when ``data`` is not HEIC; else its (width, height) from the 'ispe' box, or None if absent."""
    if len(data) < 16 or data[4:8] != b"ftyp":
        return False
    box_size = struct.unpack(">I", data[0:4])[0]
    brands = {data[8:12]} | {data[i : i + 4] for i in range(16, min(box_size, 64), 4)}
    if not brands & HEIC_BRANDS:
        return False
    at = data.find(b"ispe", 0, 1 << 16)
    if at < 0 or at + 16 > len(data):
        return None
    width, height = struct.unpack(">II", data[at + 8 : at + 16])
    return (width, height)


def _write_durably(path: Path, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


@dataclass(frozen=True)
class ProcessedImage:
    """What the helper process found in an upload and where it wrote it."""

    format: str
    width: int | None
    height: int | None
    path: str
    content_type: str
    thumb_path: str | None
    thumb_size: tuple[int, int] | None


def process_image(data: bytes, folder: str, photo_id: str) -> ProcessedImage:
    """Verify, decode, thumbnail, write and fsync one upload; runs in a helper process."""
    base = Path(folder)
    try:
        fmt, size, thumb = _decode(data)
    except UploadRejected:
        heic = heic_dimensions(data)
        if heic is False:
            raise
        path = base / f"{photo_id}.heic"
        _write_durably(path, data)
        dims = heic if isinstance(heic, tuple) else (None, None)
        return ProcessedImage("HEIC", dims[0], dims[1], str(path), "image/heic", None, None)
    path = base / f"{photo_id}.{fmt.lower()}"
    thumb_path = base / f"{photo_id}.thumb.jpg"
    _write_durably(path, data)
    _write_durably(thumb_path, thumb[0])
    return ProcessedImage(fmt, size[0], size[1], str(path), ACCEPTED_FORMATS[fmt], str(thumb_path), thumb[1])


def _decode(data: bytes) -> tuple[str, tuple[int, int], tuple[bytes, tuple[int, int]]]:
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format or ""
            if fmt not in ACCEPTED_FORMATS:
                raise UploadRejected(415, f"{fmt or 'unknown'} images are not accepted; send JPEG, PNG, WebP or HEIC")
            probe.verify()
        with Image.open(io.BytesIO(data)) as img:
            img.load()  # the full decode: real work for the worker
            size = img.size
            thumb = img if img.mode in ("RGB", "L") else img.convert("RGB")
            thumb.thumbnail(THUMB_BOX)
            buf = io.BytesIO()
            # JPEG, not WebP: Pillow's WebP encoder costs ~30x more CPU for a thumbnail this size.
            thumb.save(buf, "JPEG", quality=80)
        return fmt, size, (buf.getvalue(), thumb.size)
    except UploadRejected:
        raise
    except UnidentifiedImageError:
        raise UploadRejected(415, "the file is not an image; send JPEG, PNG, WebP or HEIC") from None
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as e:
        raise UploadRejected(415, f"the image could not be decoded: {e}") from None


def process_upload(
    body: bytes, content_type: str, limit_bytes: int, folder: str, photo_id: str
) -> tuple[int, ProcessedImage]:
    """The whole upload job: parse the multipart body, check the file's size, then ``process_image``."""
    data = extract_file_part(body, content_type)
    if len(data) > limit_bytes:
        raise UploadRejected(413, f"file is {len(data)} bytes; the limit is {limit_bytes} bytes")
    if not data:
        raise UploadRejected(415, "the 'file' field is empty; expected a JPEG, PNG, WebP or HEIC image")
    return len(data), process_image(data, folder, photo_id)


Runner = Callable[..., tuple[int, ProcessedImage]]


def run_here(fn: Callable[..., tuple[int, ProcessedImage]], *args: object) -> tuple[int, ProcessedImage]:
    return fn(*args)


class PhotoStore:
    """Uploaded photos per tenant under one temporary directory; each tenant only sees its own."""

    def __init__(self, root: Path, tenant_ids: tuple[str, ...], limit_bytes: int) -> None:
        self.root = root
        self.limit_bytes = limit_bytes
        self._lock = threading.Lock()
        self._photos: dict[str, dict[str, StoredPhoto]] = {t: {} for t in tenant_ids}
        for t in tenant_ids:
            (root / t).mkdir(parents=True, exist_ok=True)

    def list(self, tenant: str) -> list[StoredPhoto]:
        with self._lock:
            return list(self._photos[tenant].values())

    def get(self, tenant: str, photo_id: str) -> StoredPhoto | None:
        with self._lock:
            return self._photos[tenant].get(photo_id)

    def process(self, tenant: str, body: bytes, content_type: str, run: Runner = run_here) -> StoredPhoto:
        """Hand the whole job to ``run`` (a helper process), then index the result for the tenant."""
        photo_id = "ph_" + secrets.token_hex(8)
        size, done = run(process_upload, body, content_type, self.limit_bytes, str(self.root / tenant), photo_id)
        photo = StoredPhoto(
            photo_id,
            tenant,
            size,
            done.format,
            done.width,
            done.height,
            Path(done.path),
            done.content_type,
            Path(done.thumb_path) if done.thumb_path else None,
            done.thumb_size,
        )
        with self._lock:
            self._photos[tenant][photo_id] = photo
        return photo
