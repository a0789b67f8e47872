"""The two consoles bigday writes to: results on stdout, progress and diagnostics on stderr."""

from __future__ import annotations

import io
import re
import sys
from typing import TextIO

from rich.console import Console, RenderableType

# When the output is not a terminal (CI logs, pipes, tests) rich would wrap tables at 80 columns.
PIPE_WIDTH = 200
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def console(stream: TextIO | None = None) -> Console:
    """A console on ``stream`` (stdout by default): colour only on a terminal, wide when piped."""
    out = stream or sys.stdout
    tty = out.isatty()
    return Console(file=out, width=None if tty else PIPE_WIDTH, no_color=not tty, highlight=False, soft_wrap=not tty)


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
