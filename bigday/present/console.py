"""The two consoles bigday writes to: results on stdout, progress and diagnostics on stderr."""

from __future__ import annotations

import io
import re
import sys
from typing import TextIO

from rich.console import Console, RenderableType

from bigday.settings import redact

# When the output is not a terminal (CI logs, pipes, tests) rich would wrap tables at 80 columns.
PIPE_WIDTH = 200
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class _Redacting(io.TextIOBase):
    """A text stream that hides registered secrets and URL secrets in everything written through it."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, s: str) -> int:
        self._stream.write(redact.text(s))
        return len(s)

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        return self._stream.isatty()

    def fileno(self) -> int:
        return self._stream.fileno()


def console(stream: TextIO | None = None) -> Console:
    """A console on ``stream`` (stdout by default): colour only on a terminal, wide when piped; secrets hidden."""
    out = stream or sys.stdout
    tty = out.isatty()
    return Console(
        file=_Redacting(out),  # type: ignore[arg-type]
        width=None if tty else PIPE_WIDTH,
        no_color=not tty,
        highlight=False,
        soft_wrap=not tty,
    )


def err_console() -> Console:
    return console(sys.stderr)


def plain(text: object) -> str:
    """Text from a scenario or run folder with control characters (ESC, BEL, ...) removed."""
    return _CONTROL.sub("", str(text))


def render_text(renderable: RenderableType, width: int = PIPE_WIDTH) -> str:
    """A renderable as plain text, as it would print to a pipe."""
    c = Console(width=width, no_color=True, highlight=False, record=True, file=io.StringIO())
    c.print(renderable)
    return "\n".join(line.rstrip() for line in c.export_text().splitlines())
