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
# What may reach a terminal: text, newlines and tabs; on a terminal also the CSI sequences and carriage returns
# rich itself writes there (colours, redrawing a progress bar). Everything else (BEL, backspace, OSC sequences
# that set the title or the clipboard, other escapes, C1 controls) is dropped, wherever it came from.
_SGR_OR_CONTROL = re.compile(
    r"\x1b\[[0-9;]*m|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?[0-?]*[ -/]*[@-~]?|[\x00-\x08\x0b-\x1f\x7f-\x9f]"
)


_CSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")


def terminal_safe(text: str, keep_colour: bool = False) -> str:
    """``text`` without control characters and escape sequences (rich's own CSI kept with ``keep_colour``)."""

    def keep(m: re.Match[str]) -> str:
        token = m.group(0)
        return token if keep_colour and (token == "\r" or _CSI.fullmatch(token)) else ""

    return _SGR_OR_CONTROL.sub(keep, text)


class _Redacting(io.TextIOBase):
    """A text stream that hides registered secrets and URL secrets in everything written through it."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, s: str) -> int:
        # Secrets hidden; control characters and escape sequences from scenarios, apps and run folders
        # dropped (only the colours rich itself writes on a terminal pass).
        self._stream.write(terminal_safe(redact.text(s), keep_colour=self._stream.isatty()))
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


# Line breaks inside one interpolated value become spaces, so a name cannot start a line of its own (a fake
# "PASS" line, say): _CONTROL keeps LF (whole outputs need it) and would glue words together across a CR.
_LINE_BREAK = re.compile(r"\r\n|[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


def plain(text: object) -> str:
    """Text from a scenario, app or run folder, for one line of the terminal: line breaks become spaces and
    control characters (ESC, BEL, ...) are removed. Every interpolated value of a terminal line passes here."""
    return _CONTROL.sub("", _LINE_BREAK.sub(" ", str(text)))


def render_text(renderable: RenderableType, width: int = PIPE_WIDTH) -> str:
    """A renderable as plain text, as it would print to a pipe."""
    c = Console(width=width, no_color=True, highlight=False, record=True, file=io.StringIO())
    c.print(renderable)
    return "\n".join(line.rstrip() for line in c.export_text().splitlines())
