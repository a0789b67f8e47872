"""A results folder that cannot be written (read-only, or full: a real ENOSPC from a small tmpfs) leaves the
store and the folder agreeing: compare exits 3 with one line naming the file, the folder has no verdict and
the store has none either (never `pass`); once the disk is writable again, compare records both.

The folders are tmpfs mounts of their own (root only; unmounted afterwards), so the failures are the
kernel's, not a simulation."""

from __future__ import annotations

import contextlib
import io
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from bigday.cli import main
from bigday.runfolder import restored_on_failure, write_text_atomic
from bigday.store.synthetic import write_probe_run

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root")


@contextlib.contextmanager
def _tmpfs(path: Path, size: str) -> Iterator[Path]:
    path.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], check=True)
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def _remount(path: Path, mode: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{mode}", str(path)], check=True)


def _fill(folder: Path) -> Path:
    """Write a file until the disk is full: every later write fails with ENOSPC."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        with contextlib.suppress(OSError):
            while True:
                os.write(fd, b"\0" * 4096)
    finally:
        os.close(fd)
    return filler


def _bigday(*args: str) -> subprocess.CompletedProcess[str]:
    """The real CLI in a process of its own (SQLite on a full disk must not take the test process down)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BIGDAY_")}
    return subprocess.run([sys.executable, "-m", "bigday", *args], capture_output=True, text=True, env=env, timeout=120)


def _compare(run: Path, store: Path) -> subprocess.CompletedProcess[str]:
    """compare in this process, for speed (the store is on a disk with room)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["compare", str(run), "--store", str(store), "--no-notify"])
    return subprocess.CompletedProcess([], code, out.getvalue(), err.getvalue())


def _verdict(store: Path, run_id: str) -> str | None:
    with contextlib.closing(sqlite3.connect(store)) as db:
        row = db.execute("select verdict from runs where run_id = ?", (run_id,)).fetchone()
    return row[0] if row else None


def _run(results: Path) -> Path:
    rng = np.random.default_rng(1)
    return write_probe_run(results, {"dashboard": {"lcp": list(rng.normal(900, 30, 5))}}, run_id="r1")


def _refused(out: subprocess.CompletedProcess[str], file: Path, reason: str) -> None:
    lines = out.stderr.strip().splitlines()
    assert out.returncode == 3 and len(lines) == 1, out.stderr
    assert f"{file}: cannot be written: {reason}" in lines[0] or reason in lines[0], lines[0]
    assert "internal error" not in out.stderr and "Traceback" not in out.stderr


def _agree(run: Path, store: Path) -> None:
    """The folder's verdict and the store's are the same, or both absent; no half-written file is left."""
    verdicts = run / "verdicts.json"
    folder = json.loads(verdicts.read_text())["outcome"] if verdicts.exists() else None
    assert folder == _verdict(store, run.name)
    assert not [p.name for p in run.iterdir() if p.name.startswith(".")]


def test_a_read_only_results_folder_leaves_store_and_folder_agreeing(tmp_path: Path) -> None:
    store = tmp_path / "store.sqlite"
    with _tmpfs(tmp_path / "results", "4m") as results:
        run = _run(results)
        _remount(results, "ro")
        out = _compare(run, store)
        _refused(out, run / "verdicts.json", "Read-only file system")
        assert not (run / "verdicts.json").exists() and _verdict(store, run.name) is None
        _agree(run, store)
        _remount(results, "rw")
        out = _compare(run, store)
        assert out.returncode in (0, 1), out.stderr
        assert _verdict(store, run.name) in ("pass", "warn", "fail")
        _agree(run, store)


def test_a_full_results_folder_is_a_one_line_exit_3_naming_the_file(tmp_path: Path) -> None:
    store = tmp_path / "store.sqlite"
    with _tmpfs(tmp_path / "results", "1m") as results:
        run = _run(results)
        filler = _fill(results)
        out = _compare(run, store)
        _refused(out, run / "verdicts.json", "No space left on device")
        assert _verdict(store, run.name) is None
        _agree(run, store)
        filler.unlink()
        assert _compare(run, store).returncode in (0, 1)
        assert _verdict(store, run.name) is not None
        _agree(run, store)


def test_a_full_disk_under_the_store_and_the_folder_leaves_them_agreeing(tmp_path: Path) -> None:
    # The default store lives in the results folder: one full disk under both. The run was ingested while
    # there was room; compare's transaction then cannot commit, and the verdict it wrote is taken back.
    with _tmpfs(tmp_path / "results", "2m") as results:
        run = _run(results)
        store = results / "bigday.sqlite"
        with contextlib.redirect_stdout(io.StringIO()):
            assert main(["ingest", str(run), "--store", str(store)]) == 0
        filler = _fill(results)
        out = _bigday("compare", str(run), "--store", str(store), "--no-notify")
        lines = out.stderr.strip().splitlines()
        assert out.returncode == 3 and len(lines) == 1, out.stderr
        assert "internal error" not in out.stderr
        filler.unlink()
        _agree(run, store)
        assert _verdict(store, run.name) is None


def test_files_written_before_a_failed_commit_are_put_back(tmp_path: Path) -> None:
    # What compare does when the store's commit fails after the folder's files were written.
    kept, new = tmp_path / "verdicts.json", tmp_path / "alerts.json"
    kept.write_text("old verdict")
    with pytest.raises(RuntimeError), restored_on_failure([kept, new]):
        write_text_atomic(kept, "new verdict")  # as every run-folder writer does: a new file renamed over
        write_text_atomic(new, "new alerts")
        raise RuntimeError("commit failed")
    assert kept.read_text() == "old verdict" and not new.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["verdicts.json"]
    with restored_on_failure([kept, new]):
        write_text_atomic(kept, "new verdict")
    assert kept.read_text() == "new verdict" and sorted(p.name for p in tmp_path.iterdir()) == ["verdicts.json"]
