"""The real `bigday ab` command: a short experiment on the embedded target, its files, and bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from bigday.cli.ab import _page_of_urls
from bigday.runfolder import AbVerdict, RunFolder, Status, read_ab
from bigday.settings.scenario import load_scenario
from bigday.target.server import running_target
from tests.conftest import run_cli


@pytest.mark.browser
def test_three_runs_of_a_50_percent_lcp_rise_are_too_few_and_not_passed(tmp_path: Path) -> None:
    # B's hero is held 700 ms longer than A's 500 ms: LCP (about 1 s for A) rises by half or more.
    out = run_cli(
        "ab", "--runs", "3", "--pages", "new-form", "--knob-a", "lcp_delay=500", "--knob-b", "lcp_delay=1200",
        "--metrics", "lcp", "--results-dir", str(tmp_path),
    )  # fmt: skip
    assert out.returncode == 0, out.stderr  # inconclusive is not a failure without --strict
    assert "new-form lcp: inconclusive: too few runs to show any change (3 runs)" in out.stdout, out.stdout
    assert "INCONCLUSIVE after 3 runs per side" in out.stdout
    (folder,) = (RunFolder(p) for p in tmp_path.iterdir())
    exp = read_ab(folder)
    lcp = next(f for f in exp.findings if f.metric == "lcp")
    assert lcp.verdict is AbVerdict.INCONCLUSIVE and lcp.status is Status.INCONCLUSIVE and exp.outcome == "inconclusive"
    assert lcp.median_b is not None and lcp.median_a is not None and lcp.median_b > 1.3 * lcp.median_a
    # Interleaved: A B in the first round, B A in the second.
    assert [r.side for r in exp.runs] == ["a", "b", "b", "a", "a", "b"] and all(r.ok for r in exp.runs)
    assert exp.b.knobs == (("lcp_delay", "1200"),) and exp.design.mode == "fixed"
    report = (folder.path / "ab.md").read_text()
    assert "| new-form | lcp | need more runs | inconclusive: too few runs" in report
    strict = run_cli("ab", "--runs", "nope", "--strict")
    assert strict.returncode == 2


@pytest.mark.browser
def test_a_side_given_as_a_page_url_is_that_page_of_the_scenario(tmp_path: Path) -> None:
    with running_target() as url:
        out = run_cli(
            "ab", "--a", f"{url}/forms/new", "--knob-b", "lcp_delay=1200", "--runs", "3", "--metrics", "lcp",
            "--results-dir", str(tmp_path),
        )  # fmt: skip
    assert out.returncode == 0, out.stderr
    (folder,) = (RunFolder(p) for p in tmp_path.iterdir())
    exp = read_ab(folder)
    # B defaults to A's URL: the scenario's new-form page (its interaction too) on both sides, B's hero held.
    assert exp.pages == ("new-form",) and exp.a.path == exp.b.path == "/forms/new", exp
    assert exp.a.base_url == exp.b.base_url == url.rstrip("/")
    assert len(exp.runs) == 6 and all(r.ok and r.page == "new-form" for r in exp.runs)
    assert all("inp" in r.metrics for r in exp.runs)  # the page's own interaction ran
    lcp = next(f for f in exp.findings if f.metric == "lcp")
    # The server holds B's hero 1,200 ms after its request, so B's LCP cannot come before that; A's is whatever
    # the page takes (about 100 ms quiet, 800+ ms when the machine is busy, which the delay then overlaps).
    assert lcp.median_a is not None and lcp.median_b is not None, lcp
    assert lcp.median_b >= 1200 and lcp.median_b > lcp.median_a, lcp


def test_page_urls_name_one_page_and_each_sides_path() -> None:
    scenario = load_scenario()
    assert _page_of_urls("http://a.localhost:8000", "http://b.localhost:8000", scenario) is None
    # The scenario's base_url (no flag) is a base whatever its path.
    assert _page_of_urls("http://a.localhost/app", "http://a.localhost/app", scenario, (False, False)) is None
    # An app under a path prefix: the scenario's page whose path the URL ends with, on the base before it.
    page, a, b = _page_of_urls("http://a.localhost/app/photos/gallery", "http://b.localhost", scenario)  # type: ignore[misc]
    assert page.name == "photo-gallery" and page.interaction
    assert a == ("http://a.localhost/app", "/photos/gallery") and b == ("http://b.localhost", "/photos/gallery")
    # Two designs at two paths: a page of its own, with no interaction (one page's steps need not fit the other).
    page, a, b = _page_of_urls("http://x.localhost/pricing?v=1", "http://x.localhost/pricing-v2", scenario)  # type: ignore[misc]
    assert (page.name, page.path, page.interaction) == ("pricing", "/pricing?v=1", ())
    assert a == ("http://x.localhost", "/pricing?v=1") and b == ("http://x.localhost", "/pricing-v2")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--runs", "lots"), "--runs: expected auto or a whole number 1..1000, got 'lots'"),
        (("--knob-b", "lcp_dely=5"), "unknown knob 'lcp_dely'"),
        (("--knob-a", "lcp_delay=-1"), "--knob-a lcp_delay=-1: lcp_delay: expected a whole number"),
        (("--max-runs", "2"), "--max-runs 2 / --first-look 5: expected 3 <= first look <= max runs"),
        (("--metrics", "lcpp"), "--metrics 'lcpp': unknown metric"),
        (("--pages", "nowhere"), "nowhere"),
        (("--a", "ftp://x"), "--a: expected an http:// or https:// base or page URL"),
        (("--timeout", "0"), "--timeout: expected seconds above 0"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    out = run_cli("ab", *args, "--results-dir", str(tmp_path / "results"))
    assert out.returncode == 2 and message in out.stderr and "Traceback" not in out.stderr, out.stderr
    assert not (tmp_path / "results").exists()


def test_the_help_names_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    from bigday.cli import main

    with pytest.raises(SystemExit) as done:
        main(["ab", "--help"])
    assert done.value.code == 0 and "Exit 0: B not worse on a gated metric" in " ".join(capsys.readouterr().out.split())


def test_runs_auto_needs_a_comparison() -> None:
    out = run_cli("probe", "--runs", "auto")
    assert out.returncode == 2 and "--runs auto: probes until the comparison with the baseline is decided" in out.stderr
    out = run_cli("run", "--runs", "auto", "--max-runs", "2")
    assert out.returncode == 2 and "--max-runs: expected 5..1000 with --runs auto, got 2" in out.stderr
