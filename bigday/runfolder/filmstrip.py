"""``filmstrip.json`` and ``filmstrip/``: the frames one run of a page painted during its load (the median run
by Speed Index, when ``--filmstrip`` asked for them), each with its time and visual progress."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field
from pydantic.dataclasses import dataclass

from bigday.errors import ConfigError
from bigday.runfolder.document import FORBID, Record, read_document, write_document
from bigday.runfolder.folder import FILMSTRIP_DIR, RunFile, RunFolder, atomic_writer

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass(frozen=True, config=FORBID)
class FilmstripFrame(Record):
    """One frame: ms since navigation start, speedline's visual progress (0..100), the JPEG's path in the folder."""

    t_ms: float
    progress: Annotated[int, Field(ge=0, le=100)] | None
    file: str


@dataclass(frozen=True, config=FORBID, kw_only=True)
class FilmstripRun(Record):
    """The frames of one page run and the Speed Index they give."""

    page: str
    run_index: int
    engine: str = "bigday"
    speed_index: float | None
    frames: tuple[FilmstripFrame, ...]


@dataclass(frozen=True, config=FORBID)
class Filmstrip(Record):
    runs: tuple[FilmstripRun, ...]


def frame_file(page: str, run_index: int, i: int) -> str:
    """Where frame ``i`` of a page run is kept, relative to the run folder."""
    return f"{FILMSTRIP_DIR}/{_UNSAFE.sub('_', page)}-run{run_index + 1}-{i:03d}.jpg"


def write_frame(folder: RunFolder, relative: str, jpeg: bytes) -> None:
    with atomic_writer(folder.path / relative, "wb") as f:
        f.write(jpeg)


def write_filmstrip(folder: RunFolder, filmstrip: Filmstrip) -> None:
    write_document(folder, RunFile.FILMSTRIP, filmstrip)


def read_filmstrip(folder: RunFolder) -> Filmstrip | None:
    """The filmstrip of a run, or None when none was kept; a frame file it names must be there."""
    if not folder.has(RunFile.FILMSTRIP):
        return None
    strip = read_document(folder.file(RunFile.FILMSTRIP), RunFile.FILMSTRIP, Filmstrip)
    for run in strip.runs:
        for frame in run.frames:
            if not (folder.path / frame.file).is_file():
                raise ConfigError(f"{folder.file(RunFile.FILMSTRIP)}: frame {frame.file} is missing from the folder")
    return strip
