"""The reference target's drawn images are kept between starts: the same bytes, and never a torn or foreign file."""

from __future__ import annotations

import io
import os
import tempfile

import pytest

from bigday.target import images

SPECS = (
    images._Spec("a.jpg", (64, 48), "JPEG", 80, 6, 1, "a"),
    images._Spec("b.webp", (80, 40), "WEBP", 78, 3, 2, "b"),
)


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
    path = images._cache_file(SPECS)
    assert path.is_file() and path.parent.stat().st_mode & 0o777 == 0o700
    path.chmod(0o400)  # read-only: a second start reads it rather than drawing and writing again
    assert images._drawn(SPECS) == drawn
    other = (SPECS[0], images._Spec("b.webp", (80, 40), "WEBP", 70, 3, 2, "b"))
    assert images._cache_file(other) != path  # any change to what decides the bytes is another file


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage"])
def test_a_damaged_cache_is_drawn_afresh(tmp_cache, damage):
    drawn = images._drawn(SPECS)
    path = images._cache_file(SPECS)
    raw = path.read_bytes()
    path.write_bytes({"truncate": raw[:-10], "flip": raw[:-1] + bytes([raw[-1] ^ 1]), "garbage": b"x\n"}[damage])
    assert images._read_cache(path, SPECS) is None
    again = images._drawn(SPECS)  # drawn afresh (the grain differs from drawing to drawing)
    assert all(_is_image(d, s) for d, s in zip(again, SPECS, strict=True))
    assert images._read_cache(path, SPECS) == again  # and rewritten whole
    assert drawn


def test_a_cache_others_could_write_is_not_read(tmp_cache):
    drawn = images._drawn(SPECS)
    path = images._cache_file(SPECS)
    os.chmod(path.parent, 0o777)
    assert images._read_cache(path, SPECS) is None
    os.chmod(path.parent, 0o700)
    assert images._read_cache(path, SPECS) == drawn
