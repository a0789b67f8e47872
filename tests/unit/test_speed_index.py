"""Speed Index: bigday's speedline (bigday.probe.speedindex) against speedline-core itself, run by node on the
same frames, and the algorithm's own cases worked by hand."""

from __future__ import annotations

import base64
import io
import json
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

from bigday.probe.assets import node_modules
from bigday.probe.speedindex import Frame, frame_progress, histogram, speed_index


def _jpeg(draw: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(draw.astype(np.uint8), "RGB").save(buf, "JPEG", quality=85)
    return buf.getvalue()


def _page(progress: float, seed: int = 1) -> bytes:
    """A 500x348 'page': white, with the top ``progress`` share of a noisy photo-like block painted."""
    rng = np.random.default_rng(seed)
    img = np.full((348, 500, 3), 255, dtype=np.uint8)
    rows = int(348 * progress)
    img[:rows] = rng.integers(0, 200, size=(rows, 500, 3))
    return _jpeg(img)


def _speedline(frames: list[Frame]) -> float:
    """speedline-core's Speed Index of the same frames, as Lighthouse calls it (timeOrigin, fastMode)."""
    root = node_modules() / "speedline-core"
    if not (root / "package.json").is_file() or shutil.which("node") is None:
        pytest.skip("needs node and speedline-core in node_modules (npm ci)")
    origin_us = 1_000_000_000
    events = [{"ts": origin_us, "cat": "blink.user_timing", "name": "navigationStart", "ph": "R"}]
    events += [
        {
            "ts": origin_us + int(f.t_ms * 1000),
            "cat": "disabled-by-default-devtools.screenshot",
            "name": "Screenshot",
            "ph": "O",
            "args": {"snapshot": base64.b64encode(f.jpeg).decode()},
        }
        for f in frames
    ]
    script = (
        f"const speedline = require({json.dumps(str(root))});"
        "let raw = ''; process.stdin.on('data', (c) => raw += c); process.stdin.on('end', async () => {"
        f"  const r = await speedline(JSON.parse(raw), {{timeOrigin: {origin_us}, fastMode: true,"
        "    include: 'speedIndex'});"
        "  console.log(JSON.stringify(Math.round(r.speedIndex)));"
        "});"
    )
    out = subprocess.run(
        ["node", "-e", script], input=json.dumps(events), capture_output=True, text=True, timeout=60, check=True
    )
    return float(json.loads(out.stdout))


@pytest.mark.parametrize(
    "steps",
    [
        [(300, 1.0)],  # one paint: SI = first paint
        [(200, 0.3), (600, 0.6), (1400, 1.0)],
        [(100, 0.1), (150, 0.12), (180, 0.15), (900, 0.8), (950, 0.82), (2500, 1.0)],  # fast mode interpolates
        [(400, 0.5), (800, 0.5), (1200, 1.0), (1600, 1.0)],  # the same image twice in a row
    ],
)
def test_speed_index_matches_speedline_core(steps):
    frames = [Frame(t, _page(p)) for t, p in steps]
    ours = speed_index(frames)
    assert ours is not None
    # Two JPEG decoders (Pillow's libjpeg, speedline's jpeg-js) may differ by a unit in a few pixels.
    assert ours.value == pytest.approx(_speedline(frames), rel=0.01, abs=2)


def test_progress_is_the_share_of_the_histogram_distance_covered():
    white = np.zeros((3, 256), dtype=np.int64)
    final = histogram(_page(1.0))
    assert frame_progress(white, white, final) == 0
    assert frame_progress(final, white, final) == 100
    assert 45 <= frame_progress(histogram(_page(0.5)), white, final) <= 55
    assert frame_progress(white, white, white) == 100  # nothing ever changes: complete


def test_speed_index_by_hand():
    # Half painted at 1000 ms, complete at 2000 ms: SI = 1000 + 1000 x (1 - 0.5) = 1500, give or take the
    # histogram's share for "half" and fast mode (frames 1 s apart are all computed).
    result = speed_index([Frame(1000, _page(0.5)), Frame(2000, _page(1.0))])
    assert result is not None and 1450 <= result.value <= 1550
    assert result.first_paint_ms == 1000 and result.visually_complete_ms == 2000
    assert [p for _, p in result.progress][0] == 0 and result.progress[-1][1] == 100


def test_nothing_painted_has_no_speed_index():
    blank = _jpeg(np.full((348, 500, 3), 255, dtype=np.uint8))
    assert speed_index([Frame(200, blank)]) is None
    assert speed_index([]) is None
