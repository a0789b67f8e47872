"""Upload processing: multipart parsing, image checks, thumbnails, durable writes, HEIC by magic bytes."""

from __future__ import annotations

import io
import pickle
import struct

import httpx
import pytest
from PIL import Image

from bigday.target.uploads import PhotoStore, UploadRejected, extract_file_part, heic_dimensions


def _multipart(data: bytes, field: str = "file") -> tuple[bytes, str]:
    req = httpx.Request(
        "POST",
        "http://127.0.0.1/",
        files={field: ("x.bin", data, "application/octet-stream")},
        data={"caption": "first look"},
    )
    return req.read(), req.headers["content-type"]


def _image(fmt: str, size=(640, 480), mode="RGB") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size, (200, 120, 90) if mode == "RGB" else (200, 120, 90, 128)).save(buf, fmt)
    return buf.getvalue()


def _heic(width: int, height: int) -> bytes:
    ftyp = struct.pack(">I", 24) + b"ftypheic" + struct.pack(">I", 0) + b"mif1heic"
    ispe = struct.pack(">I", 20) + b"ispe" + b"\0\0\0\0" + struct.pack(">II", width, height)
    return ftyp + b"\0\0\0\x10meta" + b"\0" * 8 + ispe + b"\0" * 64


def test_extract_file_part_finds_the_file_among_fields():
    body, ctype = _multipart(b"\x00\x01payload\r\n--not-a-boundary")
    assert extract_file_part(body, ctype) == b"\x00\x01payload\r\n--not-a-boundary"


def test_extract_file_part_refuses_wrong_bodies():
    with pytest.raises(UploadRejected) as e:
        extract_file_part(b"{}", "application/json")
    assert e.value.status == 415
    body, ctype = _multipart(b"abc", field="photo")
    with pytest.raises(UploadRejected, match="no 'file' field") as e:
        extract_file_part(body, ctype)
    assert e.value.status == 400


@pytest.mark.parametrize("fmt, mode", [("JPEG", "RGB"), ("PNG", "RGBA"), ("WEBP", "RGB")])
def test_images_are_decoded_thumbnailed_and_written(tmp_path, fmt, mode):
    store = PhotoStore(tmp_path, ("lumen", "petal"), limit_bytes=5_000_000)
    body, ctype = _multipart(_image(fmt, mode=mode))
    photo = store.process("lumen", body, ctype)
    assert (photo.format, photo.width, photo.height) == (fmt, 640, 480)
    assert photo.path.read_bytes()[:4] == _image(fmt, mode=mode)[:4]
    assert photo.thumb_path is not None and photo.thumb_size == (320, 240)
    with Image.open(photo.thumb_path) as thumb:
        assert thumb.format == "JPEG" and thumb.size == (320, 240)
    assert store.get("lumen", photo.id) == photo
    assert store.get("petal", photo.id) is None and store.list("petal") == []


def test_non_images_and_other_formats_are_415(tmp_path):
    store = PhotoStore(tmp_path, ("lumen",), limit_bytes=5_000_000)
    for data in (b"just some text, not a photo", _image("GIF", mode="RGB"), _image("JPEG")[:200]):
        body, ctype = _multipart(data)
        with pytest.raises(UploadRejected) as e:
            store.process("lumen", body, ctype)
        assert e.value.status == 415, e.value.message
    assert store.list("lumen") == []


def test_over_the_limit_is_413(tmp_path):
    store = PhotoStore(tmp_path, ("lumen",), limit_bytes=1000)
    body, ctype = _multipart(_image("JPEG", size=(800, 800)))
    with pytest.raises(UploadRejected) as e:
        store.process("lumen", body, ctype)
    assert e.value.status == 413


def test_heic_is_recognised_by_its_magic_bytes(tmp_path):
    data = _heic(4032, 3024)
    assert heic_dimensions(data) == (4032, 3024)
    assert heic_dimensions(_image("JPEG")) is False
    store = PhotoStore(tmp_path, ("lumen",), limit_bytes=5_000_000)
    body, ctype = _multipart(data)
    photo = store.process("lumen", body, ctype)
    assert (photo.format, photo.width, photo.height, photo.thumb_path) == ("HEIC", 4032, 3024, None)


def test_rejections_survive_the_trip_back_from_a_helper_process():
    e = pickle.loads(pickle.dumps(UploadRejected(415, "not an image")))
    assert (e.status, e.message) == (415, "not an image")
