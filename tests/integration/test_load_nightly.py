"""`bigday run --load`: both rehearsals run, their verdicts go through the comparator into the store."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from rich.console import Console
from sqlalchemy import select

from bigday.cli import build_parser
from bigday.cli.saturday import LoadSettings, overrides_for, rehearse
from bigday.compare.engine import CompareOptions
from bigday.settings.scenario import DEFAULT_SCENARIO, load_scenario
from bigday.store import schema
from bigday.store.engine import open_store
from bigday.target.server import running_target

pytestmark = [pytest.mark.load, pytest.mark.slow]


def test_run_has_a_load_flag():
    args = build_parser().parse_args(["run", "--load"])
    assert args.load is True


def test_nightly_load_compares_and_stores_both_rehearsals(tmp_path, capsys):
    data = yaml.safe_load(DEFAULT_SCENARIO.read_text())
    data["load"]["stages"] = [
        {"name": "baseline", "duration": "2s", "users": 5},
        {"name": "spike", "duration": "4s", "users": 20},
    ]
    data["load"]["isolation"]["phase"] = "2s"
    scenario_path = tmp_path / "s.yaml"
    scenario_path.write_text(yaml.safe_dump(data))
    scenario = load_scenario(scenario_path)
    store_url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    with running_target() as url:
        settings = LoadSettings(
            scenario=scenario,
            base_url=url,
            store=store_url,
            results_dir=tmp_path / "results",
            compare=CompareOptions(notify=False),
            overrides=overrides_for(None, None),
            under_load=None,
        )
        part = rehearse(settings, tmp_path, Console(), Console(stderr=True))
    code = part.exit_code
    out = capsys.readouterr().out
    assert "saturday_spike:" in out and "tenant_isolation:" in out and "bigday compare" in out
    assert code in (0, 1, 3)
    runs = sorted(p.name for p in (tmp_path / "results").iterdir() if p.is_dir())
    assert len(runs) == 2 and all(Path(tmp_path / "results" / r / "verdicts.json").is_file() for r in runs)
    with open_store(store_url) as store, store.begin("reading") as conn:
        stored = conn.execute(select(schema.runs.c.run_id, schema.runs.c.kind)).all()
    assert sorted(r.run_id for r in stored) == runs and {r.kind for r in stored} == {"load"}
