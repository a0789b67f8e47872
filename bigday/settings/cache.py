"""Derived files kept between runs: what takes seconds to make and comes out the same (or as good) every time.

The reference target's drawn images and the load generator's photo pool were made afresh at every start, a core-
second or more each, dozens of times in a test suite or a `bigday run --load`. They are kept in the user's own
directory under the system's temporary one (``bigday-<uid>/``, mode 0700), one file per kind and key, written
atomically and checked whole when read: a torn, foreign or damaged file is simply made again. Nothing here is a
result or a secret; deleting the directory costs only the next start's time.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

FORMAT = 1


def cache_file(kind: str, key: object) -> Path:
    """The file for ``kind`` made from ``key`` (its ``repr`` must name everything that decides the bytes)."""
    digest = hashlib.sha256(repr((FORMAT, kind, key)).encode()).hexdigest()[:20]
    return Path(tempfile.gettempdir()) / f"bigday-{os.getuid()}" / f"{kind}-{digest}.bin"


def read_blobs(path: Path, count: int) -> list[bytes] | None:
    """The ``count`` blobs kept at ``path``, or None when there are none or they are not exactly what was
    written (a torn or foreign file, or a directory another user could write to)."""
    try:
        folder = path.parent.stat()
        if folder.st_uid != os.getuid() or folder.st_mode & 0o022:
            return None
        raw = path.read_bytes()
    except OSError:
        return None
    head, sep, body = raw.partition(b"\n")
    try:
        index = json.loads(head)
        lengths = [int(n) for n in index["lengths"]]
    except (ValueError, KeyError, TypeError):
        return None
    if not sep or len(lengths) != count or sum(lengths) != len(body) or min(lengths, default=0) < 0:
        return None
    if hashlib.sha256(body).hexdigest() != index.get("sha256"):
        return None
    out, at = [], 0
    for n in lengths:
        out.append(body[at : at + n])
        at += n
    return out


def write_blobs(path: Path, blobs: list[bytes]) -> None:
    """Keep ``blobs`` at ``path`` (atomically); a cache only, so a failure to write is not an error."""
    body = b"".join(blobs)
    head = json.dumps({"lengths": [len(b) for b in blobs], "sha256": hashlib.sha256(body).hexdigest()})
    tmp: str | None = None
    try:
        path.parent.mkdir(mode=0o700, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(head.encode() + b"\n" + body)
        os.replace(tmp, path)
    except OSError:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def cached_blobs(kind: str, key: object, count: int, make: Callable[[], list[bytes]]) -> list[bytes]:
    """``make()``'s ``count`` blobs, from the cache when it holds them, else made and kept."""
    path = cache_file(kind, key)
    kept = read_blobs(path, count)
    if kept is not None:
        return kept
    made = make()
    write_blobs(path, made)
    return made
