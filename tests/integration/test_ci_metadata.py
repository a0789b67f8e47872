"""A CI run names its commit and branch by itself: GitHub Actions' variables reach the manifest and the store, and
``--baseline branch:main`` finds the last passing run of main among runs of other branches.

The three runs are what ``bigday run`` chains (probe, then ingest and compare), on one reference target and the
session's Chromium to keep the test short.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import yaml

from bigday.cli.common import app_under_test
from bigday.compare.engine import CompareOptions, compare_run
from bigday.probe.app import AppUnderTest
from bigday.probe.runner import ProbeOptions, probe_app
from bigday.settings.environment import CI_REVISION_VARIABLES
from bigday.settings.scenario import DEFAULT_SCENARIO, Scenario, load_scenario
from bigday.store.engine import open_store

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("ci_metadata")]


@pytest.fixture(scope="module")
def one_page(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    # One page and no bounds to breach: every run passes unless the harness itself fails.
    data = yaml.safe_load(DEFAULT_SCENARIO.read_text())
    data.update(thresholds=[], budgets=[])
    data["pages"] = [p for p in data["pages"] if p["name"] == "dashboard"]
    path = tmp_path_factory.mktemp("ci") / "ci.yaml"
    path.write_text(yaml.safe_dump(data))
    return load_scenario(path)


@pytest.fixture(scope="module")
def reference_app(one_page: Scenario) -> Iterator[AppUnderTest]:
    with app_under_test(None, one_page) as app:
        yield app


def test_github_actions_commit_and_branch_find_the_main_baseline(
    tmp_path, monkeypatch, one_page, reference_app, bigday_browser
):
    for name in ("BIGDAY_APP_SHA", "BIGDAY_APP_BRANCH", "BIGDAY_BASELINE"):
        monkeypatch.delenv(name, raising=False)
    for _, sha_var, branch_vars in CI_REVISION_VARIABLES:
        for name in (sha_var, *branch_vars):
            monkeypatch.delenv(name, raising=False)
    options = ProbeOptions(scenario=one_page, results_dir=tmp_path / "results", runs=1, accessibility="off")
    pushes = [("a" * 40, "main", None), ("b" * 40, "feature-x", None), ("c" * 40, "feature-y", "branch:main")]
    folders, outcomes = [], []
    with open_store(str(tmp_path / "store.sqlite")) as store:
        for sha, branch, baseline in pushes:
            monkeypatch.setenv("GITHUB_SHA", sha)
            monkeypatch.setenv("GITHUB_REF_NAME", branch)
            probe = probe_app(options, reference_app, browser=bigday_browser)
            assert probe.complete, probe.missing
            app = json.loads((probe.folder.path / "manifest.json").read_text())["app"]
            assert (app["git_sha"], app["git_branch"]) == (sha, branch)
            verdicts = compare_run(store, probe.folder.path, one_page, CompareOptions(baseline=baseline, notify=False))
            folders.append(probe.folder.path)
            outcomes.append(verdicts.outcome.value)
    assert outcomes[0] == "pass", outcomes
    last = json.loads((folders[2] / "verdicts.json").read_text())
    # The last passing run of main, not the later run of feature-x.
    assert last["baseline"]["spec"] == "branch:main" and last["baseline"]["run_id"] == folders[0].name
