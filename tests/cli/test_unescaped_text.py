"""Text a user or an app wrote is shown as text: the Markdown report escapes HTML and line breaks and drops
control characters, and the terminal (report and console) receives no control character or escape sequence
but the colours and redraws rich itself writes there."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import numpy as np

from bigday.cli import main
from bigday.present.console import plain, terminal_safe
from bigday.store.synthetic import write_probe_run

HOSTILE_KEY = "<img src=x onerror=alert(1)>\n# pwned\x1b]0;title\x07\x1b[2J"


def _cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def test_terminal_safe_keeps_text_and_rich_own_sequences_only() -> None:
    text = "a\x1b]52;c;aGk=\x07b\x1b[31mred\x1b[0m\x08c\r\x1b[2K\x9bd\x1bPq\n"
    assert terminal_safe(text) == "abredcd\n"
    assert terminal_safe(text, keep_colour=True) == "ab\x1b[31mred\x1b[0mc\r\x1b[2Kd\n"


def test_reports_show_hostile_names_as_text(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    run = write_probe_run(tmp_path / "results", {"dashboard": {"lcp": list(rng.normal(900, 30, 5))}}, run_id="r")
    rc = tmp_path / "lighthouserc.json"
    rc.write_text(json.dumps({"ci": {"assert": {HOSTILE_KEY: 1, "assertions": {"<b>x</b>\n## injected": "error"}}}}))
    store = str(tmp_path / "s.sqlite")
    assert _cli("compare", str(run), "--store", store, "--no-notify", "--lighthouserc", str(rc))[0] in (0, 1)
    code, md, _ = _cli("report", str(run), "--format", "md", "--output", "-", "--store", store)
    assert code == 0 and "pwned" in md  # the text is there, as text
    for raw in ("<img", "<b>", "\n# pwned", "\n## injected", "\x1b", "\x07"):
        assert raw not in md, raw
    code, terminal, _ = _cli("report", str(run), "--format", "terminal", "--output", "-", "--store", store)
    assert code == 0 and "pwned" in terminal
    assert "\x1b" not in terminal and "\x07" not in terminal
    # The key's line break does not start a line of its own: "# pwned" stays inside its "not checked:" line.
    assert [line for line in terminal.splitlines() if "pwned" in line] == [
        line for line in terminal.splitlines() if "pwned" in line and "not checked:" in line
    ]
    assert not any(line.lstrip().startswith(("# pwned", "## injected")) for line in terminal.splitlines())
    _, compared, _ = _cli("compare", str(run), "--store", store, "--no-notify", "--lighthouserc", str(rc))
    assert "pwned" in compared and not any(line.lstrip().startswith("# pwned") for line in compared.splitlines())


def test_a_line_break_inside_a_value_cannot_start_a_terminal_line() -> None:
    for br in ("\n", "\r\n", "\r", "\u2028", "\x85", "\x0b"):
        assert plain(f"clients{br}PASS everything") == "clients PASS everything", repr(br)
    assert plain("tab\tand\x1b[2Jtext\x07") == "tab\tand[2Jtext"
