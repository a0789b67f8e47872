"""The verb table and the lazy parser: `bigday --help` imports no engine (pandas, scipy, SQLAlchemy,
Playwright, Locust), and every verb is registered by the module the table names."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from bigday.cli import build_parser
from bigday.cli.verbs import VERBS


def _verbs(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_the_table_names_every_verb_the_modules_register():
    full = _verbs(build_parser())
    assert list(full) == list(VERBS)
    assert all(p.get_default("handler") is not None for p in full.values())


@pytest.mark.parametrize("verb", list(VERBS))
def test_a_verb_alone_is_built_in_full(verb):
    only = _verbs(build_parser([verb, "--help"]))
    assert only[verb].get_default("handler") is not None
    assert only[verb].format_help() == _verbs(build_parser())[verb].format_help()


def test_help_imports_no_engine():
    code = (
        "import sys, contextlib, io\n"
        "from bigday.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "    main(['--help'])\n"
        "heavy = {'pandas', 'scipy', 'sqlalchemy', 'playwright', 'locust'} & set(sys.modules)\n"
        "print(sorted(heavy))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("argv", "env", "runs"),
    [
        (["run"], {}, 5),
        (["run", "--load"], {}, 5),
        (["run", "--load", "--time-scale", "0.05"], {}, 3),  # a quick rehearsal: its probe is scaled down too
        (["run", "--load", "--time-scale", "2"], {}, 5),
        (["run", "--time-scale", "0.05"], {}, 5),  # no load, nothing to scale
        (["run", "--load", "--time-scale", "0.05", "--runs", "7"], {}, 7),
        (["run", "--load", "--time-scale", "0.05"], {"BIGDAY_RUNS": "4"}, 4),
        (["probe"], {}, 5),
    ],
)
def test_runs_per_page_of_a_quick_rehearsal(argv, env, runs, monkeypatch):
    from bigday.cli.probe import probe_options_from_args
    from bigday.settings.scenario import load_scenario

    monkeypatch.delenv("BIGDAY_RUNS", raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    args = build_parser(argv).parse_args(argv)
    assert probe_options_from_args(args, load_scenario()).runs == runs
