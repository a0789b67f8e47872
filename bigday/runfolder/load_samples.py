"""``load_samples.csv.gz``: every request of a load run, so any summary or verdict can be recomputed.

A run holds up to millions of rows, so the file's model is column-wise (numpy arrays, one per column, and
the distinct tenant x user kind x endpoint x phase keys once) and is validated column by column, never
as one object per row.
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
from bigday.runfolder.folder import RunFile, RunFolder, atomic_writer
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
    prefixes = [",".join(_csv_cell(k) for k in key) for key in samples.keys]
    with (
        atomic_writer(folder.file(RunFile.LOAD_SAMPLES), "wb") as raw,
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
    """The raw samples, or None for a load run folder without them; ConfigError names the line at fault."""
    path = folder.file(RunFile.LOAD_SAMPLES)
    if not path.is_file():
        return None
    version = read_manifest(folder).format_of(RunFile.LOAD_SAMPLES) if folder.has(RunFile.MANIFEST) else 1
    check_version(path, RunFile.LOAD_SAMPLES, version)
    try:
        return _read(path)
    except (OSError, EOFError, UnicodeDecodeError, csv.Error) as e:
        raise ConfigError(f"{path}: not a readable gzipped CSV of load samples ({type(e).__name__}: {e})") from None


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
