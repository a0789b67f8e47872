"""bigday against an app nobody here wrote: a Django project with its admin site, behind its real login form.

The test creates the project with Django's own ``startproject`` (SQLite), migrates it, makes a superuser and a
second staff user (the two "tenants": the signed-in account is the tenant), and serves it with uvicorn on
127.0.0.1 port 0. Its only addition is an access log middleware that writes each request's path, status and
signed-in user, so the test can tell whether any request bigday sent was anonymous.

``bigday run --load`` then signs in through the admin's login form in Chromium (CSRF token included, as the
form carries it), probes /admin/ and two model pages per tenant with an interaction each, and runs a 20 s load
journey in which every user signs in with the form's own requests (the CSRF token captured from the page)
and browses. With a wrong password the same command fails before anything is measured, in one line naming
the tenant and the sign-in step, and the password is in nothing it wrote or printed.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml

from bigday.load.launcher import kill_tree

pytestmark = [pytest.mark.browser, pytest.mark.load, pytest.mark.slow, pytest.mark.xdist_group("real_app")]

ADMIN_PASSWORD = "Adm1n-pass-7f3c9e"
STAFF_PASSWORD = "Staff-pass-2b8d41"
WRONG_PASSWORD = "Wr0ng-pass-9a1e55"
SECRETS = {"DJANGO_ADMIN_PASSWORD": ADMIN_PASSWORD, "DJANGO_STAFF_PASSWORD": STAFF_PASSWORD}

ACCESS_LOG_MIDDLEWARE = '''
"""Each request's method, path, status and signed-in user (or -), one line each."""
import logging
import os

_log = logging.getLogger("bigday_test_access")
_log.addHandler(logging.FileHandler(os.environ["DJANGO_ACCESS_LOG"]))
_log.setLevel(logging.INFO)
_log.propagate = False


class AccessLog:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = request.user.get_username() if request.user.is_authenticated else "-"
        _log.info("%s %s %s %s", request.method, request.path, response.status_code, user)
        return response
'''

SETTINGS_TAIL = """
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
MIDDLEWARE.append("site_app.accesslog.AccessLog")
DATABASES["default"]["OPTIONS"] = {"timeout": 20}
"""

URLS_TAIL = """
from django.contrib.staticfiles.views import serve as _serve_static
from django.urls import re_path as _re_path

# The admin's CSS and JS, served by the app itself (no separate web server in this test).
urlpatterns += [_re_path(r"^static/(?P<path>.*)$", _serve_static, {"insecure": True})]
"""

USERS = f"""
from django.contrib.auth.models import Group, Permission, User
User.objects.create_superuser("admin", "admin@example.invalid", "{ADMIN_PASSWORD}")
staff = User.objects.create_user("planner", "planner@example.invalid", "{STAFF_PASSWORD}", is_staff=True)
staff.user_permissions.set(Permission.objects.filter(
    codename__in=["view_user", "view_group", "change_group", "delete_group"]))
for name in ("Photographers", "Planners", "Couples"):
    Group.objects.create(name=name)
"""


@dataclass(frozen=True)
class DjangoApp:
    url: str
    access_log: Path

    def log_lines(self) -> list[list[str]]:
        return [ln.split() for ln in self.access_log.read_text().splitlines() if ln.strip()]

    def clear_log(self) -> None:
        self.access_log.write_text("")


@pytest.fixture(scope="module")
def django_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DjangoApp]:
    root = tmp_path_factory.mktemp("django")
    project = root / "project"
    project.mkdir()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "site_app.settings", "DJANGO_ACCESS_LOG": str(root / "access.log")}
    python = [sys.executable]

    def manage(*args: str) -> None:
        subprocess.run(
            [*python, "manage.py", *args], cwd=project, env=env, check=True, capture_output=True, timeout=120
        )

    subprocess.run(
        [*python, "-m", "django", "startproject", "site_app", str(project)], check=True, capture_output=True, timeout=60
    )
    (project / "site_app" / "accesslog.py").write_text(ACCESS_LOG_MIDDLEWARE)
    with (project / "site_app" / "settings.py").open("a") as f:
        f.write(SETTINGS_TAIL)
    with (project / "site_app" / "urls.py").open("a") as f:
        f.write(URLS_TAIL)
    manage("migrate", "--noinput")
    manage("shell", "-c", USERS)
    (root / "access.log").write_text("")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    port = sock.getsockname()[1]
    with (root / "uvicorn.log").open("wb") as server_log:
        server = subprocess.Popen(
            [*python, "-m", "uvicorn", "site_app.asgi:application", "--fd", str(sock.fileno()), "--no-access-log"],
            cwd=project,
            env=env,
            pass_fds=(sock.fileno(),),
            stdout=subprocess.DEVNULL,
            stderr=server_log,
        )
    sock.close()
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(url + "/admin/login/", timeout=2, trust_env=False).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, (root / "uvicorn.log").read_text()[-2000:]
            time.sleep(0.2)
        yield DjangoApp(url, root / "access.log")
    finally:
        kill_tree(server.pid)
        server.wait(10)


def scenario(folder: Path) -> Path:
    """The Django admin as a bigday scenario: two accounts as tenants, the login form, three pages each."""
    pages = []
    for tenant in ("admin", "staff"):
        pages += [
            {
                "name": f"index-{tenant}",
                "path": "/admin/",
                "tenant": tenant,
                "interaction": [
                    {"wait_for": {"text": "Site administration", "timeout": "5s"}},
                    {"hover": "#user-tools"},
                    {"click": "#user-tools button.theme-toggle"},
                ],
            },
            {
                "name": f"users-{tenant}",
                "path": "/admin/auth/user/",
                "tenant": tenant,
                "interaction": [{"type": {"selector": "#searchbar", "text": "adm"}}, {"scroll": {"by": 200}}],
            },
            {
                "name": f"groups-{tenant}",
                "path": "/admin/auth/group/",
                "tenant": tenant,
                "interaction": [
                    {"click": "#action-toggle"},
                    {"select": {"selector": "select[name=action]", "value": "delete_selected"}},
                ],
            },
        ]
    data = {
        "version": 1,
        "name": "django-admin",
        "tenancy": {"by": "account"},
        "tenants": [
            {"id": "admin", "credentials": {"username": "admin", "password": "${DJANGO_ADMIN_PASSWORD}"}},
            {"id": "staff", "credentials": {"username": "planner", "password": "${DJANGO_STAFF_PASSWORD}"}},
        ],
        "auth": {
            "sign_in": {
                "page": "/admin/login/?next=/admin/",
                "steps": [
                    {"type": {"selector": "#id_username", "text": "{username}"}},
                    {"type": {"selector": "#id_password", "text": "{password}"}},
                    {"click": "input[type=submit]"},
                ],
                "success": {"selector": "#user-tools", "timeout": "10s"},
            }
        },
        "pages": pages,
        "thresholds": [{"metric": "lcp", "aggregate": "p95", "bound": "10s", "level": "error"}],
        "load": {
            "peak_users": 6,
            "stages": [
                {"name": "ramp", "duration": "2s", "users": 6},
                {"name": "steady", "duration": "18s", "users": 6},
            ],
            "think_time": {"min": "200ms", "max": "500ms"},
            "max_duration": "2m",
            "user_mix": {"browse": 1},
            "sign_in": [
                {
                    "get": "/admin/login/",
                    "capture": {"csrf": {"regex": 'name="csrfmiddlewaretoken" value="([^"]+)"'}},
                },
                {
                    "post": "/admin/login/?next=/admin/",
                    "form": {
                        "csrfmiddlewaretoken": "{csrf}",
                        "username": "{username}",
                        "password": "{password}",
                        "next": "/admin/",
                    },
                    "follow_redirects": False,
                    "expect": {"status": 302},
                },
            ],
            "journeys": {
                "browse": {
                    "tasks": [
                        {
                            "weight": 2,
                            "requests": [
                                {
                                    "get": "/admin/",
                                    "follow_redirects": False,
                                    "expect": {"status": 200, "text": "Site administration"},
                                }
                            ],
                        },
                        {
                            "requests": [
                                {"get": "/admin/auth/user/", "follow_redirects": False, "expect": {"status": 200}}
                            ]
                        },
                        {
                            "requests": [
                                {"get": "/admin/auth/group/", "follow_redirects": False, "expect": {"status": 200}}
                            ]
                        },
                    ]
                }
            },
        },
    }
    path = folder / "django.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def bigday(*args: str, env: dict[str, str], cwd: Path, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("BIGDAY_")}
    return subprocess.run(
        [sys.executable, "-m", "bigday", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env={**clean, **env},
    )


def files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


def assert_nowhere(secret: str, texts: list[str], folder: Path) -> None:
    """The secret is in no text printed and no file written (compressed raw samples included)."""
    import gzip

    for text in texts:
        assert secret not in text
    for f in files_under(folder):
        raw = f.read_bytes()
        if f.suffix == ".gz":
            raw = gzip.decompress(raw)
        assert secret.encode() not in raw, f


def test_sign_in_probe_and_load_against_the_django_admin(django_app: DjangoApp, tmp_path: Path) -> None:
    django_app.clear_log()
    path = scenario(tmp_path)
    results = tmp_path / "results"
    out = bigday(
        "run",
        "--scenario",
        str(path),
        "--base-url",
        django_app.url,
        "--runs",
        "1",
        "--load",
        "--results-dir",
        str(results),
        "--store",
        str(tmp_path / "store.sqlite"),
        env=SECRETS,
        cwd=tmp_path,
    )
    assert out.returncode in (0, 1), out.stderr[-3000:]
    assert "saturday_spike:" in out.stdout, out.stdout[-3000:]

    runs = {json.loads((d / "manifest.json").read_text())["kind"]: d for d in results.iterdir() if d.is_dir()}
    assert set(runs) == {"probe", "load"}
    probe_manifest = json.loads((runs["probe"] / "manifest.json").read_text())
    app = probe_manifest["app"]
    assert app["tenancy"] == "account" and app["sign_in"] == "sign_in"
    assert app["secrets"] == ["DJANGO_ADMIN_PASSWORD", "DJANGO_STAFF_PASSWORD"]
    samples = json.loads((runs["probe"] / "samples.json").read_text())["samples"]
    ok = [s for s in samples if s["ok"]]
    # Every page as both tenants, each measured on its own page (not bounced to the login form).
    assert len({s["page"] for s in ok}) == 6, [s["error"] for s in samples if not s["ok"]]
    assert {s["tenant"] for s in ok} == {"admin", "staff"}
    for s in ok:
        assert s["details"]["final_url"].split("?")[0].endswith(s["path"]), s["details"]["final_url"]
        assert s["metrics"]["fcp"] is not None and s["metrics"]["lcp"] is not None and s["metrics"]["ttfb"] is not None
        assert s["metrics"]["inp"] is not None  # the interaction ran with trusted input
    load_manifest = json.loads((runs["load"] / "manifest.json").read_text())
    assert load_manifest["app"]["sign_in"] == "requests" and load_manifest["app"]["tenancy"] == "account"
    stats = json.loads((runs["load"] / "load_stats.json").read_text())
    per_tenant = {
        r["tenant"]: r
        for r in stats["stats"]
        if r["tenant"] != "*" and r["user_kind"] == "*" and r["endpoint"] == "*" and r["phase"] == "*"
    }
    assert set(per_tenant) == {"admin", "staff"} and all(r["count"] > 20 for r in per_tenant.values())
    endpoints = {r["endpoint"] for r in stats["stats"] if r["endpoint"] != "*"}
    assert {"GET /admin/login/", "POST /admin/login/", "GET /admin/", "GET /admin/auth/user/"} <= endpoints
    assert all(r["error_rate"] == 0 for r in per_tenant.values()), per_tenant
    assert stats["verdicts"][0]["name"] == "saturday_spike" and (runs["load"] / "verdicts.json").is_file()

    # The app's own log: no request was anonymous but the login page (with its styles and icon, before the
    # sign-in) and bigday's "does it answer" check of the base URL before each stage starts.
    lines = django_app.log_lines()
    before_sign_in = ("/admin/login/", "/favicon.ico")
    anonymous = [
        ln for ln in lines if ln[3] == "-" and ln[1] not in before_sign_in and not ln[1].startswith("/static/")
    ]
    assert all(ln[:3] == ["GET", "/", "404"] for ln in anonymous) and len(anonymous) <= 3, anonymous[:5]
    users = {ln[3] for ln in lines if ln[3] != "-"}
    assert users == {"admin", "planner"}
    sign_ins = [ln for ln in lines if ln[0] == "POST" and ln[1] == "/admin/login/" and ln[2] == "302"]
    assert len(sign_ins) >= 2 + 6  # one browser sign-in per tenant, one per load user
    assert sum(1 for ln in lines if ln[1] != "/admin/login/" and not ln[1].startswith("/static/")) > 50
    for secret in (ADMIN_PASSWORD, STAFF_PASSWORD):
        assert_nowhere(secret, [out.stdout, out.stderr], tmp_path)


def test_a_wrong_password_is_one_line_naming_tenant_and_step(django_app: DjangoApp, tmp_path: Path) -> None:
    path = scenario(tmp_path)
    env = {**SECRETS, "DJANGO_STAFF_PASSWORD": WRONG_PASSWORD}
    common = ("--scenario", str(path), "--base-url", django_app.url, "--results-dir", str(tmp_path / "results"))
    outputs = []
    for argv in (
        ("run", *common, "--runs", "1", "--load", "--store", str(tmp_path / "store.sqlite")),
        ("load", "saturday", *common),
    ):
        out = bigday(*argv, env=env, cwd=tmp_path, timeout=120)
        outputs += [out.stdout, out.stderr]
        assert out.returncode == 3, (argv[0], out.stdout[-2000:], out.stderr[-2000:])
        assert "Traceback" not in out.stderr
        errors = [ln for ln in out.stderr.splitlines() if ln.startswith("bigday: error:")]
        assert len(errors) == 1, out.stderr[-2000:]
        assert "tenant 'staff'" in errors[0] and "sign-in step" in errors[0], errors[0]
    # The browser sign-in names its failing step (the wait for the signed-in page); the load users' the form post.
    assert "(wait for selector #user-tools)" in outputs[1] and "(POST /admin/login/)" in outputs[3]
    assert not any((tmp_path / "results").glob("*/samples.json"))  # no page was measured
    for secret in (WRONG_PASSWORD, ADMIN_PASSWORD):
        assert_nowhere(secret, outputs, tmp_path)
