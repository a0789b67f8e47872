"""The photo pool: JPEGs of the requested sizes, in multipart bodies the reference target accepts."""

from __future__ import annotations

import io

from PIL import Image

from bigday.load.photos import BOUNDARY, build_pool, photo_pool
from bigday.target.uploads import extract_file_part


def test_pool_sizes_and_bodies():
    pool = build_pool((600, 2600))
    for photo, kb in zip(pool, (600, 2600), strict=True):
        assert abs(photo.jpeg_bytes - kb * 1000) / (kb * 1000) < 0.15
        jpeg = extract_file_part(photo.body, f"multipart/form-data; boundary={BOUNDARY}")
        assert len(jpeg) == photo.jpeg_bytes
        with Image.open(io.BytesIO(jpeg)) as img:
            assert img.format == "JPEG" and img.size == (photo.width, photo.height)


def test_pool_is_built_once_per_process():
    assert photo_pool((50,)) is photo_pool((50,))
