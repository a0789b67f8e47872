"""The photo pool: a few JPEGs of realistic sizes, generated once (and kept between runs) and reused as ready bodies.

Each photo is encoded once (Pillow) and wrapped once in a complete ``multipart/form-data`` body, so an upload
costs the generator a socket write, not an encode or a copy.  Memory is the sum of the pool's sizes.
"""

from __future__ import annotations

import functools
import io
import json
import math
from dataclasses import dataclass

import numpy as np
import PIL
from PIL import Image

from bigday.settings.cache import cached_blobs

BOUNDARY = "bigdayPhotoBoundary7MA4YWxkTrZu0gW"
CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"
_QUALITY = 88
_ASPECT = 4 / 3  # camera sensors and phone photos


@dataclass(frozen=True)
class PhotoBody:
    """One ready-to-send multipart body carrying a JPEG in field ``file``."""

    filename: str
    jpeg_bytes: int
    width: int
    height: int
    body: bytes


def _texture(height: int, width: int, rng: np.random.Generator) -> Image.Image:
    # Smooth colour fields plus sensor-like grain: compresses like a photo, unlike flat colour or pure noise.
    coarse = rng.integers(0, 256, size=(max(2, height // 64), max(2, width // 64), 3), dtype=np.uint8)
    base = Image.fromarray(coarse, "RGB").resize((width, height), Image.Resampling.BILINEAR)
    grain = rng.integers(-24, 25, size=(height, width, 3), dtype=np.int16)
    arr = np.clip(np.asarray(base, dtype=np.int16) + grain, 0, 255).astype(np.uint8)
    return Image.fromarray(arr, "RGB")


def _encode(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=_QUALITY)
    return buf.getvalue()


def _bytes_per_pixel(rng: np.random.Generator) -> float:
    tile = _encode(_texture(384, 512, rng))
    return len(tile) / (384 * 512)


def make_jpeg(target_kb: int, rng: np.random.Generator, bpp: float | None = None) -> tuple[bytes, int, int]:
    """A JPEG of about ``target_kb`` KB (1000 B), sized by a calibrated bytes-per-pixel, not by trial and error."""
    bpp = bpp or _bytes_per_pixel(rng)
    pixels = max(64 * 48, target_kb * 1000 / bpp)
    width = max(64, int(math.sqrt(pixels * _ASPECT)))
    height = max(48, int(width / _ASPECT))
    data = _encode(_texture(height, width, rng))
    return data, width, height


def multipart_body(filename: str, jpeg: bytes, field: str = "file") -> bytes:
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode()
    return head + jpeg + f"\r\n--{BOUNDARY}--\r\n".encode()


def _made_jpegs(sizes_kb: tuple[int, ...], seed: int) -> list[bytes]:
    """The pool's JPEGs, after a first blob with their sizes in pixels: deterministic for a given seed."""
    rng = np.random.default_rng(seed)
    bpp = _bytes_per_pixel(rng)
    made = [make_jpeg(kb, rng, bpp) for kb in sizes_kb]
    return [json.dumps([[w, h] for _, w, h in made]).encode(), *(jpeg for jpeg, _, _ in made)]


def build_pool(sizes_kb: tuple[int, ...], seed: int = 20260606) -> tuple[PhotoBody, ...]:
    """One multipart body per requested size; deterministic for a given seed. Encoding takes a core-second or
    more (at the start of every isolation check's warm-up), so the JPEGs are kept between runs."""
    key = (_QUALITY, _ASPECT, PIL.__version__, np.__version__, tuple(sizes_kb), seed)
    dims, *jpegs = cached_blobs("photo-pool", key, len(sizes_kb) + 1, lambda: _made_jpegs(sizes_kb, seed))
    pool = []
    for i, (jpeg, (w, h)) in enumerate(zip(jpegs, json.loads(dims), strict=True)):
        name = f"IMG_{4000 + i:04d}.jpg"
        pool.append(PhotoBody(name, len(jpeg), int(w), int(h), multipart_body(name, jpeg)))
    return tuple(pool)


# One pool at a time: a new plan's sizes replace the old pool rather than keeping both in memory.
@functools.lru_cache(maxsize=1)
def photo_pool(sizes_kb: tuple[int, ...]) -> tuple[PhotoBody, ...]:
    """The process's pool for these sizes, built on first use and then shared by every user."""
    return build_pool(tuple(sizes_kb))
