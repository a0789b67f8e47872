"""Speed Index from the frames Chromium painted during the load, computed the way Lighthouse computes it.

The frames are the screenshots Chromium's compositor puts in a trace (category
``disabled-by-default-devtools.screenshot``: one JPEG, about 500 px wide, per frame whose pixels changed), the
same frames Lighthouse's observed Speed Index reads.  The algorithm is speedline-core 1.4.3's, as Lighthouse
12.2.3 calls it (``fastMode: true``, ``include: 'speedIndex'``):

- a white frame is put first, at navigation start;
- each frame's histogram: per RGB channel, 256 counts over the pixels that are not white (a pixel whose three
  channels are all >= 249 is left out);
- visual progress of a frame: for every channel and value, ``match += min(|cur - first|, |last - first|)``
  and ``total += |last - first|``; progress = floor(100 x match / total) (100 when both are 0), the first
  frame being the white one and the last the final screenshot;
- fast mode: progress is computed at both ends of a span and, when it differs by less than an allowance that
  shrinks with the span's length (6 e^(ln(2/3) t) - 1 percent for t seconds), the frames between take the
  lower end's value; otherwise the span is halved;
- Speed Index = first paint (the first frame with progress > 0) + the sum over later frames of
  (time since the previous frame) x (1 - the previous frame's progress), rounded to the millisecond.

That is the histogram ("visual progress") variant; speedline's perceptual (SSIM) variant is not computed.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

SPEEDLINE_VARIANT = "speedline-core 1.4.3 visual progress (histograms), fast mode, as Lighthouse 12.2.3"
_WHITE = 249
# Fast mode's allowance (percent of progress) for a span of frames t seconds long.
_FAST_MAX, _FAST_MEDIAN, _FAST_MIN = 5.0, 3.0, -1.0
_FAST_MULTIPLIER = _FAST_MAX - _FAST_MIN
_FAST_COEFFICIENT = math.log((_FAST_MEDIAN - _FAST_MIN) / _FAST_MULTIPLIER)


@dataclass(frozen=True)
class Frame:
    """One painted frame: milliseconds since navigation start and the screenshot's JPEG bytes."""

    t_ms: float
    jpeg: bytes


@dataclass(frozen=True)
class SpeedIndex:
    """The Speed Index of one load and the visual progress it came from."""

    value: float  # ms since navigation start
    first_paint_ms: float
    visually_complete_ms: float | None
    progress: tuple[tuple[float, int], ...]  # (ms, percent) per frame, the white frame first
    frames: tuple[Frame, ...] = field(default=(), repr=False, compare=False)  # the painted frames, progress[1:]

    def details(self) -> dict[str, object]:
        return {
            "value": self.value,
            "first_visual_change_ms": round(self.first_paint_ms, 1),
            "visually_complete_ms": None if self.visually_complete_ms is None else round(self.visually_complete_ms, 1),
            "frames": len(self.progress) - 1,
            "progress": [[round(t, 1), p] for t, p in self.progress],
            "variant": SPEEDLINE_VARIANT,
        }


def histogram(jpeg: bytes) -> np.ndarray:
    """Per channel (R, G, B), the count of each value 0..255 over the frame's non-white pixels."""
    with Image.open(io.BytesIO(jpeg)) as im:
        rgb = np.asarray(im.convert("RGB"))
    pixels = rgb.reshape(-1, 3)
    kept = pixels[~np.all(pixels >= _WHITE, axis=1)]
    return np.stack([np.bincount(kept[:, c], minlength=256) for c in range(3)]).astype(np.int64)


def frame_progress(current: np.ndarray, initial: np.ndarray, target: np.ndarray) -> int:
    """speedline's visual progress of ``current`` from ``initial`` towards ``target``, 0..100 (integer)."""
    current_diff = np.abs(current - initial)
    target_diff = np.abs(target - initial)
    match = int(np.minimum(current_diff, target_diff).sum())
    total = int(target_diff.sum())
    if match == 0 and total == 0:
        return 100
    return math.floor(match / total * 100)


def _allowance(elapsed_ms: float) -> float:
    return _FAST_MULTIPLIER * math.exp(_FAST_COEFFICIENT * elapsed_ms / 1000) + _FAST_MIN


def visual_progress(times: Sequence[float], hists: Sequence[np.ndarray]) -> list[int]:
    """Progress of every frame in fast mode (frames between two close values take the lower end's)."""
    n = len(hists)
    known: list[int | None] = [None] * n

    def get(i: int) -> int:
        value = known[i]
        if value is None:
            value = known[i] = frame_progress(hists[i], hists[0], hists[-1])
        return value

    def between(lower: int, upper: int) -> None:
        low, high = get(lower), get(upper)
        if abs(low - high) < _allowance(times[upper] - times[lower]):
            for i in range(lower + 1, upper):
                known[i] = low
        elif upper - lower > 1:
            mid = (lower + upper) // 2
            between(lower, mid)
            between(mid, upper)

    between(0, n - 1)
    return [get(i) for i in range(n)]


def speed_index(frames: Sequence[Frame]) -> SpeedIndex | None:
    """Speed Index of the frames (sorted by time, repeats of the same image already dropped or not).

    None when nothing but white was ever painted, or there are no frames: Lighthouse reports an error then."""
    unique: list[Frame] = []
    for f in sorted(frames, key=lambda f: f.t_ms):
        if f.t_ms >= 0 and (not unique or f.jpeg != unique[-1].jpeg):
            unique.append(f)
    if not unique:
        return None
    times = [0.0] + [f.t_ms for f in unique]
    hists = [np.zeros((3, 256), dtype=np.int64)] + [histogram(f.jpeg) for f in unique]
    progress = visual_progress(times, hists)
    first = next((i for i, p in enumerate(progress) if p > 0), None)
    if first is None:
        return None
    complete = next((times[i] for i, p in enumerate(progress) if p >= 100), None)
    si = times[first]
    for i in range(1, len(times)):
        if times[i] > times[first]:
            si += (times[i] - times[i - 1]) * (1 - progress[i - 1] / 100)
    value = float(math.floor(si + 0.5))  # JavaScript's Math.round
    if value <= 0:
        return None
    return SpeedIndex(value, times[first], complete, tuple(zip(times, progress, strict=True)), tuple(unique))
