"""Derived files kept between runs (bigday.settings.cache): the reference target's drawn images and the load
generator's photo pool come back whole, and a torn, damaged or foreign file is made again."""

from __future__ import annotations

import io
import os
import tempfile

import pytest

from bigday.load import photos
from bigday.settings import cache
from bigday.target import images

SPECS = (
    images._Spec("a.jpg", (64, 48), "JPEG", 80, 6, 1, "a"),
    images._Spec("b.webp", (80, 40), "WEBP", 78, 3, 2, "b"),
)


def _file():
    import PIL

    return cache.cache_file("target-images", (images.CACHE_FORMAT, PIL.__version__, SPECS))


@pytest.fixture
def tmp_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


def _is_image(data: bytes, spec: images._Spec) -> bool:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as img:
        return img.size == spec.size and img.format == spec.fmt


def test_cached_images_are_the_drawn_ones(tmp_cache):
    drawn = images._drawn(SPECS)  # drawn, then written
    assert all(_is_image(d, s) for d, s in zip(drawn, SPECS, strict=True))
    path = _file()
    assert path.is_file() and path.parent.stat().st_mode & 0o777 == 0o700
    # Read, not drawn again: a drawing's grain differs each time, so equal bytes came from the file.
    assert images._drawn(SPECS) == drawn
    assert cache.cache_file("target-images", (images.CACHE_FORMAT, "other", SPECS)) != path


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage"])
def test_a_damaged_cache_is_drawn_afresh(tmp_cache, damage):
    drawn = images._drawn(SPECS)
    path = _file()
    raw = path.read_bytes()
    path.write_bytes({"truncate": raw[:-10], "flip": raw[:-1] + bytes([raw[-1] ^ 1]), "garbage": b"x\n"}[damage])
    assert cache.read_blobs(path, len(SPECS)) is None
    again = images._drawn(SPECS)  # drawn afresh (the grain differs from drawing to drawing)
    assert all(_is_image(d, s) for d, s in zip(again, SPECS, strict=True))
    assert cache.read_blobs(path, len(SPECS)) == again  # and rewritten whole
    assert drawn


def test_a_cache_others_could_write_is_not_read(tmp_cache):
    drawn = images._drawn(SPECS)
    path = _file()
    os.chmod(path.parent, 0o777)
    assert cache.read_blobs(path, len(SPECS)) is None
    os.chmod(path.parent, 0o700)
    assert cache.read_blobs(path, len(SPECS)) == drawn


def test_the_photo_pool_is_the_same_from_the_cache(tmp_cache):
    first = photos.build_pool((60, 30), seed=7)
    assert len(list(tmp_cache.glob("bigday-*/photo-pool-*.bin"))) == 1
    again = photos.build_pool((60, 30), seed=7)
    assert again == first  # deterministic for a seed: the kept JPEGs are the ones it would make
    assert [p.jpeg_bytes for p in first] == [len(b) for b in photos._made_jpegs((60, 30), 7)[1:]]
    assert photos.build_pool((60, 30), seed=8) != first
