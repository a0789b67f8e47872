"""Runtime fault switches: knobs, an error rate and downtime turned on and off while the target runs.

The admin endpoint (``/_admin/faults``) answers loopback clients only. Switches sit between the server's own
knobs and a request's query string: server knobs < switches < query. ``down`` answers 503 to everything but
the admin endpoint; ``errors`` (a knob, 0..100) answers that percentage of documents and API calls with 500,
spread evenly over the requests (every 4th for 25) rather than at random, so a test knows what to expect.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bigday.errors import ConfigError
from bigday.target.knobs import KNOB_NAMES, check_knob

LOOPBACK_CLIENTS = ("127.0.0.1", "::1", "localhost")


@dataclass
class FaultSwitches:
    """The switches in effect; one lock guards them and the error counter (handlers run on worker threads)."""

    knobs: dict[str, int] = field(default_factory=dict)
    down: bool = False
    _served: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def state(self) -> dict[str, Any]:
        with self._lock:
            return {"knobs": dict(self.knobs), "down": self.down}

    def update(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """Set the switches named in ``body`` (a knob to 0 or its default is still set; ``clear`` removes all)."""
        knobs: dict[str, int] = {}
        down: bool | None = None
        for name, value in body.items():
            if name == "down":
                if not isinstance(value, bool):
                    raise ConfigError(f"fault switch down: expected true or false, got {value!r}")
                down = value
            elif name in KNOB_NAMES:
                knobs[name] = check_knob(name, value, where="fault switch")
            else:
                raise ConfigError(f"fault switch {name!r}: unknown; expected down or a knob ({', '.join(KNOB_NAMES)})")
        with self._lock:
            self.knobs.update(knobs)
            if down is not None:
                self.down = down
        return self.state()

    def clear(self) -> dict[str, Any]:
        with self._lock:
            self.knobs.clear()
            self.down = False
            self._served = 0
        return self.state()

    def snapshot(self) -> tuple[dict[str, int], bool]:
        with self._lock:
            return dict(self.knobs), self.down

    def next_fails(self, errors_pct: int) -> bool:
        """Whether the next document or API call answers 500 at this error percentage (evenly spread)."""
        if errors_pct <= 0:
            return False
        with self._lock:
            n = self._served
            self._served += 1
        return (n + 1) * errors_pct // 100 > n * errors_pct // 100
