"""The scenario keys for a real app (tenancy, auth, credentials, steps, journeys), placeholders and secrets, the
CI's commit and branch, and Locust's -u/-r/-t on a plan: parsed once, wrong input refused in one line."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from bigday.errors import ConfigError
from bigday.load.plan import PlanOverrides, build_plan, check_secrets, plan_secrets, with_locust_options
from bigday.runfolder import app_record
from bigday.settings import environment, resolve
from bigday.settings.scenario import DEFAULT_SCENARIO, load_scenario, parse_scenario
from bigday.settings.templates import env_refs, placeholders, render

REAL_APP = """
version: 1
name: studio-app
base_url: https://staging.example.com
tenancy: {by: header, name: X-Studio}
tenants:
  - {id: aurora, key: studio-17, credentials: {email: a@example.com, password: "${AURORA_PASSWORD}"}}
  - {id: birch, credentials: {email: b@example.com, password: "${BIRCH_PASSWORD}"}}
auth:
  headers: {X-Api-Key: "${STAGING_API_KEY}"}
  sign_in:
    page: /login
    steps:
      - type: {selector: "#email", text: "{email}"}
      - type: {selector: "#password", text: "{password}"}
      - press: Enter
    success: {url: /dashboard}
pages:
  - name: dashboard
    path: /dashboard
    interaction:
      - wait_for: {text: Today, timeout: 3s}
      - select: {selector: "#range", value: week}
      - hover: "#chart"
      - scroll: {by: 600}
      - scroll: "#footer"
      - navigate: /dashboard/clients
      - navigate: {selector: "a.next", url: "/dashboard/clients?page=2"}
      - upload: {selector: "input[type=file]", file: photo.jpg}
load:
  user_mix: {editor: 1}
  sign_in:
    - get: /login
      capture: {csrf: {regex: 'name="csrf" value="([^"]+)"'}}
    - post: /api/session
      json: {email: "{email}", password: "{password}", csrf: "{csrf}"}
      expect: {status: [200, 204]}
  journeys:
    editor:
      tenants: clients
      think_time: {min: 1s, max: 2s}
      tasks:
        - name: edit
          weight: 3
          repeat: "2:4"
          requests:
            - post: /api/albums
              json: {title: "Album {n}"}
              choose: {n: [1, 2, 3]}
              capture: {album: {json: id}}
            - {post: "/api/albums/{album}/photos", photo: true, expect: {status: 201}, pause: 200ms}
        - requests: [{get: "/api/albums?studio={tenant_key}", retry_after: true}]
"""


def parse(text: str, where: Path = Path("real.yaml")):
    return parse_scenario(text, where)


def test_a_real_app_scenario_parses_into_its_parts():
    s = parse(REAL_APP)
    assert s.tenancy.describe() == "header X-Studio" and s.tenancy.headers("studio-17") == {"X-Studio": "studio-17"}
    aurora = s.tenant("aurora")
    assert aurora.key == "studio-17" and s.tenant("birch").key == "birch" and aurora.plan == "small"
    assert s.auth.method == "sign_in" and s.auth.sign_in.path == "/login"
    assert s.auth.sign_in.success.action == "wait_for" and s.auth.sign_in.success.url == "/dashboard"
    steps = s.page("dashboard").interaction
    assert [x.action for x in steps] == [
        "wait_for", "select", "hover", "scroll", "scroll", "navigate", "navigate", "upload",
    ]  # fmt: skip
    assert steps[0].wait_ms == 3000 and steps[1].text == "week" and steps[3].pixels == 600
    assert steps[6].selector == "a.next" and steps[7].file == "photo.jpg"
    edit = s.load.journeys["editor"].tasks[0]
    assert edit.repeat == (2, 4) and edit.weight == 3 and edit.requests[0].choose == {"n": ("1", "2", "3")}
    assert edit.requests[1].endpoint_name == "/api/albums/{album}/photos" and edit.requests[1].pause_ms == 200
    assert s.secret_names() == ("AURORA_PASSWORD", "BIRCH_PASSWORD", "STAGING_API_KEY")


def test_descriptions_never_show_what_is_typed():
    s = parse(REAL_APP)
    typed = s.auth.sign_in.steps[1]
    assert typed.describe() == "type into #password" and "password" not in typed.describe().replace("#password", "")


def _bad(fn) -> str:
    data = yaml.safe_load(REAL_APP)
    fn(data)
    with pytest.raises(ConfigError) as e:
        parse(yaml.safe_dump(data))
    message = str(e.value)
    assert "\n" not in message and message.startswith("real.yaml: ")
    return message


@pytest.mark.parametrize(
    ("mutate", "fragments"),
    [
        (
            lambda d: d["pages"][0]["interaction"].append({"tap": "#x"}),
            ["pages[0].interaction[8]", "'tap'", "dashboard"],
        ),
        (lambda d: d["auth"]["sign_in"]["steps"].append({"swipe": "#x"}), ["auth.sign_in", "steps[3]", "'swipe'"]),
        (lambda d: d["pages"][0]["interaction"].append({"type": {"selector": "#a"}}), ["type.text", "missing"]),
        (lambda d: d["pages"][0]["interaction"].append({"wait_for": {"timeout": "1s"}}), ["selector, a text or a url"]),
        (lambda d: d.update(tenancy={"by": "cookie"}), ["tenancy.by", "header, query, subdomain, path, account"]),
        (lambda d: d.update(tenancy={"by": "account", "name": "X"}), ["tenancy.name", "only for by: header or query"]),
        (lambda d: d.update(tenancy={"by": "path", "prefix": "/studios"}), ["tenancy.prefix", "{tenant_key}"]),
        (lambda d: d["tenants"][0]["credentials"].update(password="hunter2"), ["credentials.password", "${VAR}"]),
        (lambda d: d["auth"]["headers"].update(Authorization="Bearer abc"), ["auth.headers.Authorization", "${VAR}"]),
        (lambda d: d["auth"].update(cookies={"session": "abc"}), ["auth.cookies.session", "${VAR}"]),
        (lambda d: d["auth"].update(storage_state="state.json"), ["auth.storage_state", "not both"]),
        (lambda d: d["pages"][0].update(path="/d/{studio}"), ["pages[0].path", "{studio}", "tenant_key"]),
        (lambda d: d["tenants"][1]["credentials"].pop("email"), ["auth.sign_in.steps[0]", "{email}"]),
        (
            lambda d: d["load"]["journeys"]["editor"]["tasks"][1]["requests"][0].update(get="/a/{album}"),
            ["load.journeys.editor.tasks[1].requests[0]", "{album}", "csrf"],
        ),
        (lambda d: d["load"].update(user_mix={"viewer": 1}), ["load.user_mix.viewer", "unknown journey", "editor"]),
        (lambda d: d["load"].pop("sign_in"), ["load.sign_in", "missing"]),
        (
            lambda d: d["load"]["journeys"]["editor"]["tasks"][0]["requests"][0].update(form={"a": "b"}),
            ["expected one body", "json and form"],
        ),
        (
            lambda d: d["load"]["sign_in"][0]["capture"].update(bad={"regex": "no group"}),
            ["load.sign_in[0].capture.bad", "group"],
        ),
        (lambda d: d["load"]["journeys"]["editor"]["tasks"][0].update(repeat="5:2"), ["repeat", "MIN <= MAX"]),
        (lambda d: d["load"]["sign_in"][1].update(method="POST"), ["one method key"]),
    ],
)
def test_bad_real_app_settings_are_one_line_naming_the_key(mutate, fragments):
    message = _bad(mutate)
    for f in fragments:
        assert f in message, message


def test_placeholders_and_secrets(monkeypatch):
    assert placeholders("{a} {{b}} ${C} {d}") == ("a", "d") and env_refs("x ${C} {d}") == ("C",)
    monkeypatch.setenv("C", "s3cret")
    assert render('{a}/{{b}}/${C}/{"json": 1}', {"a": "A"}) == 'A/{b}/s3cret/{"json": 1}'
    monkeypatch.delenv("C")
    with pytest.raises(ConfigError) as e:
        render("${C}", {})
    assert str(e.value) == "$C is not set: the scenario names it for a secret; set it in the environment"


def test_a_load_plan_carries_journeys_and_variable_names_never_values(monkeypatch):
    s = parse(REAL_APP)
    for name in s.secret_names():
        monkeypatch.setenv(name, "value-that-must-not-travel")
    plan = build_plan(s, "saturday")
    assert "value-that-must-not-travel" not in plan.dumps() and "${AURORA_PASSWORD}" in plan.dumps()
    assert plan_secrets(plan) == s.secret_names() and plan.tenancy.by == "header"
    assert plan.headers == {"X-Api-Key": "${STAGING_API_KEY}"}
    check_secrets(plan)
    monkeypatch.delenv("BIRCH_PASSWORD")
    with pytest.raises(ConfigError, match=r"^\$BIRCH_PASSWORD is not set"):
        check_secrets(plan)


def test_the_isolation_pair_needs_its_journeys_and_time_scale_shortens_its_phases():
    data = yaml.safe_load(DEFAULT_SCENARIO.read_text())
    scenario = load_scenario()
    plan = build_plan(scenario, "isolation", PlanOverrides(time_scale=0.05))
    assert [s.duration_s for s in plan.stages[1:]] == [6.0, 6.0, 6.0]  # 20 s x 0.05 = 1 s, held at 6 s
    assert plan.isolation.victim_journey == "victim" and plan.user_mix == (("aggressor", 1.0),)
    data["load"]["isolation"]["victim_journey"] = "reader"
    with pytest.raises(ConfigError, match=r"load.isolation.victim_journey: unknown journey 'reader'"):
        parse(yaml.safe_dump(data))
    data["load"].pop("journeys")
    data["load"].pop("user_mix")
    bare = parse(yaml.safe_dump(data))
    with pytest.raises(ConfigError, match="load.journeys: missing"):
        build_plan(bare, "saturday")


def test_locust_options_on_a_saturday_plan():
    plan = build_plan(load_scenario(), "saturday")
    both = with_locust_options(plan, 20, None, 10.0)
    assert [(s.name, s.duration_s, s.users) for s in both.stages] == [("ramp", 1.0, 20), ("steady", 9.0, 20)]
    slow = with_locust_options(plan, 20, 1.0, 10.0)  # at 1 user a second, 10 s reach 10 users
    assert [(s.name, s.duration_s, s.users) for s in slow.stages] == [("ramp", 10.0, 10)]
    cut = with_locust_options(plan, None, None, 150.0)  # the scenario's stages, cut at 150 s
    assert [(s.name, s.duration_s) for s in cut.stages] == [("baseline", 120.0), ("ramp", 30.0)]
    assert cut.stages[-1].users == 1000 + 1500
    assert with_locust_options(plan, None, None, None) is plan
    with pytest.raises(ConfigError, match="-r/--spawn-rate: give -u/--users"):
        with_locust_options(plan, None, 5.0, None)
    with pytest.raises(ConfigError, match="beyond the hard limit"):
        with_locust_options(plan, 5, None, 7200.0)
    with pytest.raises(ConfigError, match="do not apply to the isolation check"):
        with_locust_options(build_plan(load_scenario(), "isolation"), 5, None, None)


CI = {
    "GITHUB_SHA": "1" * 40,
    "GITHUB_REF_NAME": "42/merge",
    "GITHUB_HEAD_REF": "feature/login",
    "CI_COMMIT_SHA": "2" * 40,
    "CI_COMMIT_REF_NAME": "main",
    "GIT_COMMIT": "3" * 40,
    "GIT_BRANCH": "origin/release",
    "CIRCLE_SHA1": "4" * 40,
    "CIRCLE_BRANCH": "hotfix",
}


@pytest.fixture
def no_ci(monkeypatch):
    for name in (*CI, "BIGDAY_APP_SHA", "BIGDAY_APP_BRANCH", "BRANCH_NAME", "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({k: CI[k] for k in ("GITHUB_SHA", "GITHUB_REF_NAME")}, ("1" * 40, "42/merge")),
        ({k: CI[k] for k in ("GITHUB_SHA", "GITHUB_REF_NAME", "GITHUB_HEAD_REF")}, ("1" * 40, "feature/login")),
        ({k: CI[k] for k in ("CI_COMMIT_SHA", "CI_COMMIT_REF_NAME")}, ("2" * 40, "main")),
        ({k: CI[k] for k in ("GIT_COMMIT", "GIT_BRANCH")}, ("3" * 40, "release")),
        ({"GIT_COMMIT": "3" * 40, "GIT_BRANCH": "origin/x", "BRANCH_NAME": "PR-7"}, ("3" * 40, "PR-7")),
        ({k: CI[k] for k in ("CIRCLE_SHA1", "CIRCLE_BRANCH")}, ("4" * 40, "hotfix")),
        ({"GITHUB_SHA": "1" * 40, "GITHUB_REF_NAME": "main", "BIGDAY_APP_BRANCH": "staging"}, ("1" * 40, "staging")),
        ({"BIGDAY_APP_SHA": "f" * 40, "BIGDAY_APP_BRANCH": "x", **CI}, ("f" * 40, "x")),
        ({}, (None, None)),
    ],
)
def test_the_app_revision_from_bigday_then_the_ci(no_ci, variables, expected):
    for k, v in variables.items():
        no_ci.setenv(k, v)
    assert resolve.app_revision() == expected


def test_without_variables_the_scenarios_git_repository_names_the_commit(no_ci, tmp_path):
    repo = tmp_path / "app"
    repo.mkdir()
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run([*git, "init", "-q", "-b", "trunk"], cwd=repo, check=True)
    path = repo / "scenario.yaml"
    path.write_text(DEFAULT_SCENARIO.read_text())
    subprocess.run([*git, "add", "."], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-qm", "first"], cwd=repo, check=True)
    sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True).stdout.strip()
    app = app_record(load_scenario(path), "https://staging.example.com", embedded=False)
    assert (app.git_sha, app.git_branch) == (sha, "trunk")
    assert app.tenancy == "query tenant" and app.sign_in == "none" and app.secrets is None
    no_ci.setenv("CIRCLE_BRANCH", "ci-branch")  # the CI's word wins over git, part by part
    app = app_record(load_scenario(path), "https://staging.example.com", embedded=False)
    assert (app.git_sha, app.git_branch) == (sha, "ci-branch")
    assert environment.ci_revision() == (None, "ci-branch")


def test_a_load_users_starting_cookies_go_where_a_browser_would_send_them(tmp_path):
    import urllib.request
    from http.cookiejar import CookieJar

    from bigday.load.cookies import add_cookies, storage_state_cookies

    state = tmp_path / "state.json"
    cookies = [
        {"name": "sessionid", "value": "s1", "domain": "localhost", "path": "/"},
        {"name": "other", "value": "x", "domain": ".elsewhere.example", "path": "/"},
        {"name": "csrftoken", "value": "c1", "domain": ".localhost", "path": "/"},
    ]
    state.write_text(json.dumps({"cookies": cookies, "origins": []}))
    for host in ("localhost", "127.0.0.1", "aurora.localhost"):
        pairs = [("theme", "dark"), *storage_state_cookies(str(state), host)]
        jar = CookieJar()
        add_cookies(jar, pairs, host)
        request = urllib.request.Request(f"http://{host}:8000/admin/")
        jar.add_cookie_header(request)
        sent = request.get_header("Cookie") or ""
        # sessionid is localhost's own (host-only); csrftoken is for localhost and its subdomains.
        expected = {
            "localhost": {"theme=dark", "sessionid=s1", "csrftoken=c1"},
            "127.0.0.1": {"theme=dark"},
            "aurora.localhost": {"theme=dark", "csrftoken=c1"},
        }[host]
        assert set(sent.split("; ")) == expected, (host, sent)
