"""Load samples as gzipped CSV: the kept raw samples and the reservoir, one format.

``load_reservoir.csv.gz`` holds each key's reservoir (every request of a key with no more requests than the
reservoir holds, a uniform sample of the others; ``load_histograms.json`` says how many of each key's requests
it holds); the verdicts rest on it.  ``load_samples.csv.gz`` (one process) and ``load_samples.<part>.csv.gz``
(each worker process) hold every request, written only with ``--keep-samples``, streamed to disk as the run
goes (``SampleStream``), never held in memory; read together they are the run's raw samples.  Run folders
written before the reservoir have only ``load_samples.csv.gz``, with every request.

A file holds up to millions of rows, so the model is column-wise (numpy arrays, one per column, and the
distinct tenant x user kind x endpoint x phase keys once) and is validated column by column, never as one
object per row.
"""

from __future__ import annotations

import csv
import gzip
import io
from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bigday.errors import ConfigError
from bigday.runfolder.document import check_version
from bigday.runfolder.folder import SAMPLES_PART_GLOB, RunFile, RunFolder, atomic_writer, samples_part_name
from bigday.runfolder.manifest import read_manifest
from bigday.settings import limits
from bigday.settings.limits import MAX_DURATION_MS

SampleKey = tuple[str, str, str, str]  # tenant, user_kind, endpoint, phase
COLUMNS = ("tenant", "user_kind", "endpoint", "phase", "t_s", "response_ms", "ok")
_WRITE_CHUNK = 65536


@dataclass(frozen=True)
class LoadSamples:
    """Row ``i``: a request of ``keys[key_index[i]]`` started ``t_s[i]`` seconds into the run, answered in
    ``response_ms[i]`` ms, successfully when ``ok[i]``."""

    keys: tuple[SampleKey, ...]
    key_index: npt.NDArray[np.intp]
    t_s: npt.NDArray[np.float64]
    response_ms: npt.NDArray[np.float64]
    ok: npt.NDArray[np.bool_]

    def __post_init__(self) -> None:
        n = len(self.key_index)
        if not len(self.t_s) == len(self.response_ms) == len(self.ok) == n:
            raise ValueError("load samples: every column must have one value per row")
        if n and (self.key_index.min() < 0 or self.key_index.max() >= len(self.keys)):
            raise ValueError("load samples: a row points at no key")

    def __len__(self) -> int:
        return len(self.key_index)

    @classmethod
    def from_groups(
        cls,
        groups: Iterable[tuple[SampleKey, npt.ArrayLike, npt.ArrayLike, npt.ArrayLike]],
    ) -> LoadSamples:
        """From ``(key, t_s, response_ms, ok)`` per key; rows keep the order of the groups."""
        keys: list[SampleKey] = []
        index: list[npt.NDArray[np.intp]] = []
        t: list[npt.NDArray[np.float64]] = []
        rt: list[npt.NDArray[np.float64]] = []
        ok: list[npt.NDArray[np.bool_]] = []
        for key, g_t, g_rt, g_ok in groups:
            t.append(np.asarray(g_t, dtype=np.float64))
            rt.append(np.asarray(g_rt, dtype=np.float64))
            ok.append(np.asarray(g_ok, dtype=np.bool_))
            index.append(np.full(len(t[-1]), len(keys), dtype=np.intp))
            keys.append(key)
        return cls(
            tuple(keys),
            np.concatenate(index) if index else np.empty(0, dtype=np.intp),
            np.concatenate(t) if t else np.empty(0, dtype=np.float64),
            np.concatenate(rt) if rt else np.empty(0, dtype=np.float64),
            np.concatenate(ok) if ok else np.empty(0, dtype=np.bool_),
        )


def _csv_cell(value: str) -> str:
    return '"' + value.replace('"', '""') + '"' if ("," in value or '"' in value or "\n" in value) else value


def write_load_samples(folder: RunFolder, samples: LoadSamples) -> None:
    """One row per request, in the order of ``samples``; times and latencies to the microsecond."""
    _write(folder.file(RunFile.LOAD_SAMPLES), samples)


def write_load_reservoir(folder: RunFolder, samples: LoadSamples) -> None:
    """The reservoirs' rows, in the format of the raw samples."""
    _write(folder.file(RunFile.LOAD_RESERVOIR), samples)


def _write(path: Path, samples: LoadSamples) -> None:
    prefixes = [",".join(_csv_cell(k) for k in key) for key in samples.keys]
    with (
        atomic_writer(path, "wb") as raw,
        gzip.GzipFile(fileobj=raw, mode="wb", filename="") as gz,
        io.TextIOWrapper(gz, encoding="utf-8", newline="") as f,
    ):
        f.write(",".join(COLUMNS) + "\n")
        for start in range(0, len(samples), _WRITE_CHUNK):
            end = start + _WRITE_CHUNK
            rows = zip(
                samples.key_index[start:end].tolist(),
                samples.t_s[start:end].tolist(),
                samples.response_ms[start:end].tolist(),
                samples.ok[start:end].astype(np.uint8).tolist(),
                strict=True,
            )
            f.write("".join(f"{prefixes[k]},{t:.3f},{rt:.3f},{ok}\n" for k, t, rt, ok in rows))


class _Lines:
    """Row number to file line, around the blank lines the CSV reader skipped."""

    def __init__(self) -> None:
        self.blank: list[int] = []

    def of(self, row: int) -> int:
        line = row + 2
        for blank in self.blank:  # few or none; each pushes the rows after it one line down
            if blank <= line:
                line += 1
        return line


def read_load_samples(folder: RunFolder) -> LoadSamples | None:
    """The raw samples (the single process's file and every worker's part together), or None for a load run
    folder without them; ConfigError names the file and line at fault."""
    paths = [folder.file(RunFile.LOAD_SAMPLES)] + sorted(folder.path.glob(SAMPLES_PART_GLOB))
    found = [p for p in paths if p.is_file()]
    if not found:
        return None
    return concatenate([_read_file(folder, p, RunFile.LOAD_SAMPLES) for p in found])


def read_load_reservoir(folder: RunFolder) -> LoadSamples | None:
    """The reservoirs' rows, or None for a run folder written before them."""
    path = folder.file(RunFile.LOAD_RESERVOIR)
    return _read_file(folder, path, RunFile.LOAD_RESERVOIR) if path.is_file() else None


def _read_file(folder: RunFolder, path: Path, file: RunFile) -> LoadSamples:
    version = read_manifest(folder).format_of(file) if folder.has(RunFile.MANIFEST) else 1
    check_version(path, file, version)
    try:
        return _read(path)
    except (OSError, EOFError, UnicodeDecodeError, csv.Error) as e:
        raise ConfigError(f"{path}: not a readable gzipped CSV of load samples ({type(e).__name__}: {e})") from None


def concatenate(parts: list[LoadSamples]) -> LoadSamples:
    """Several files' rows as one, keys shared."""
    if len(parts) == 1:
        return parts[0]
    keys: dict[SampleKey, int] = {}
    index = []
    for part in parts:
        remap = np.asarray([keys.setdefault(k, len(keys)) for k in part.keys], dtype=np.intp)
        index.append(remap[part.key_index] if len(part) else np.empty(0, dtype=np.intp))
    return LoadSamples(
        tuple(keys),
        np.concatenate(index),
        np.concatenate([p.t_s for p in parts]),
        np.concatenate([p.response_ms for p in parts]),
        np.concatenate([p.ok for p in parts]),
    )


class SampleStream:
    """Raw samples streamed to one gzipped CSV as a run goes (``--keep-samples``), a few thousand rows at a
    time, so they are never all in memory.  Written under a temporary name and renamed when closed: a process
    killed mid-run leaves no half file that would read as a whole one."""

    _BUFFER_ROWS = 4096

    def __init__(self, folder: RunFolder, part: str | None, t0: float) -> None:
        self.path = folder.file(RunFile.LOAD_SAMPLES) if part is None else folder.path / samples_part_name(part)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._tmp = self.path.with_name(f".{self.path.name}.writing")
        self._gz = gzip.open(self._tmp, "wt", encoding="utf-8", newline="", compresslevel=1)
        self._gz.write(",".join(COLUMNS) + "\n")
        self._lines: list[str] = []
        self._prefixes: dict[SampleKey, str] = {}
        self.t0 = t0
        self.rows = 0

    def write(self, key: SampleKey, start: float, response_ms: float, ok: bool) -> None:
        prefix = self._prefixes.get(key)
        if prefix is None:
            prefix = self._prefixes[key] = ",".join(_csv_cell(k) for k in key)
        self._lines.append(f"{prefix},{start - self.t0:.3f},{response_ms:.3f},{1 if ok else 0}\n")
        if len(self._lines) >= self._BUFFER_ROWS:
            self.flush()

    def flush(self) -> None:
        if self._lines:
            self._gz.write("".join(self._lines))
            self.rows += len(self._lines)
            self._lines = []

    def close(self) -> Path:
        self.flush()
        self._gz.close()
        self._tmp.replace(self.path)
        return self.path


def _read(path: Path) -> LoadSamples:
    index: dict[SampleKey, int] = {}
    key_index, t_s, response_ms, ok = array("q"), array("d"), array("d"), bytearray()
    lines = _Lines()
    with gzip.open(path, "rt", encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader, [])
        missing = [c for c in COLUMNS if c not in header]
        if missing:
            raise ConfigError(f"{path}: expected columns {', '.join(COLUMNS)}; missing {', '.join(missing)}")
        at = [header.index(c) for c in COLUMNS]
        width = max(at) + 1
        for line, row in enumerate(reader, start=2):
            if line - 1 > limits.MAX_LOAD_SAMPLE_ROWS:
                raise ConfigError(
                    f"{path}: more than {limits.MAX_LOAD_SAMPLE_ROWS:,} rows; a run folder may hold at most that many"
                    " raw load samples"
                )
            if not row:
                lines.blank.append(line)
                continue
            if len(row) < width:
                raise ConfigError(f"{path}: line {line}: expected {len(header)} columns, got {len(row)}")
            key = (row[at[0]], row[at[1]], row[at[2]], row[at[3]])
            k = index.get(key)
            if k is None:
                k = index[key] = len(index)
            key_index.append(k)
            for column, out, i in (("t_s", t_s, at[4]), ("response_ms", response_ms, at[5])):
                try:
                    out.append(float(row[i]))
                except ValueError:
                    raise _bad(path, line, column, row[i]) from None
            flag = row[at[6]]
            if flag not in ("0", "1"):
                raise ConfigError(f"{path}: line {line}: ok: expected 1 or 0, got {flag!r}")
            ok.append(flag == "1")
    samples = LoadSamples(
        tuple(index),
        np.frombuffer(key_index, dtype=np.int64).astype(np.intp),
        np.frombuffer(t_s, dtype=np.float64),
        np.frombuffer(response_ms, dtype=np.float64),
        np.frombuffer(bytes(ok), dtype=np.uint8).astype(bool),
    )
    for column, values, bad in (
        ("t_s", samples.t_s, ~np.isfinite(samples.t_s)),
        (
            "response_ms",
            samples.response_ms,
            ~(np.isfinite(samples.response_ms) & (samples.response_ms >= 0) & (samples.response_ms <= MAX_DURATION_MS)),
        ),
    ):
        if bad.any():
            first = int(np.flatnonzero(bad)[0])
            raise _bad(path, lines.of(first), column, str(float(values[first])))
    return samples


def _expected_ms(text: str) -> str:
    try:
        too_long = float(text) > MAX_DURATION_MS
    except ValueError:
        too_long = False
    return "milliseconds >= 0 and at most a year" if too_long else "milliseconds >= 0"


def _bad(path: Path, line: int, column: str, text: str) -> ConfigError:
    expected = _expected_ms(text) if column == "response_ms" else "seconds from the start of the run"
    return ConfigError(f"{path}: line {line}: {column}: expected {expected}, got {text!r}")
