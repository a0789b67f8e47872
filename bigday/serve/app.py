"""The served dashboard's ASGI app (Starlette): HTML pages and a JSON API over the store, behind tokens.

Every route but ``/healthz``, ``/login`` and the field-beacon collector (``/rum``, ``/rum/rum.js``: the app's
visitors' browsers call them, authenticated by site key and Origin; ``bigday.serve.collector``) needs a
token: ``Authorization: Bearer <token>``, or the cookie ``/login`` sets (HttpOnly, SameSite=Strict). A
missing, unknown or revoked token gets 401; a ``tenant:ID`` token gets 403 on acknowledge and resolve, and
404 for a page or alert that is not its studio's (the same answer as for one that does not exist). A form
POST that carries the cookie must come from this server's own pages (its Origin or Referer names this host),
so another site cannot make a signed-in browser acknowledge. Reads run in Starlette's thread pool on the
store's read-only connections; acknowledge and resolve go through bigday.store.alerts, which writes the
audit log in the same transaction.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from bigday.errors import BigdayError, ConfigError
from bigday.monitor.evidence import to_json
from bigday.report.dashboard import CSP as DASHBOARD_CSP
from bigday.serve import data, field, pages
from bigday.serve.collector import Collector, RumApp
from bigday.serve.history import served_dashboard
from bigday.serve.tokens import Viewer, digest, viewer_for
from bigday.settings.scenario import Scenario, parse_duration_ms
from bigday.store import alerts as alert_store
from bigday.store import rum as rum_store
from bigday.store.engine import Store

COOKIE = "bigday_token"
TOKEN_CACHE_S = 2.0  # a revoked token stops working within this long
# The 30-day SLA and the overview's 24-hour figures aggregate every check of their span; they are recomputed at
# most this often per scope (a tenant's, or everything). Latest checks, alerts and trends are read each time.
SLA_CACHE_S = 30.0
OVERVIEW_CACHE_S = 5.0
# Every answer to a read is kept this long per token and route, so a wall of dashboards polling the same pages
# costs one query each; an acknowledge or resolve made here clears it (the monitor's new checks show within it).
RESPONSE_CACHE_S = 5.0
# The charts page is the written dashboard (ECharts inline) over 90 days of trends and their change points.
DASHBOARD_CACHE_S = 30.0
DASHBOARD_DAYS = 90
NO_STORE = {"Cache-Control": "no-store"}
SECURITY_HEADERS = {
    **NO_STORE,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"
    ),
}

Handler = Callable[..., Any]  # (request, viewer) for reads, (request, viewer, form) for writes


class HttpProblem(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


class Dashboard:
    """The store, the scenario and a small cache of verified tokens."""

    def __init__(self, store: Store, scenario: Scenario) -> None:
        self.store, self.scenario = store, scenario
        self._tokens: dict[str, tuple[Viewer | None, float]] = {}
        self._lock = threading.Lock()
        self.responses = _Cache(RESPONSE_CACHE_S, size=1024)

    def known_viewer(self, token: str | None) -> tuple[bool, Viewer | None]:
        """(whether the answer is known without the store, the viewer): lets a request skip the thread pool."""
        if not token:
            return True, None
        with self._lock:
            hit = self._tokens.get(digest(token))
        if hit is not None and hit[1] > time.monotonic():
            return True, hit[0]
        return False, None

    def viewer(self, token: str | None) -> Viewer | None:
        if not token:
            return None
        key = digest(token)
        now = time.monotonic()
        with self._lock:
            hit = self._tokens.get(key)
            if hit is not None and hit[1] > now:
                return hit[0]
        with self.store.read("checking a token") as conn:
            viewer = viewer_for(conn, token)
        with self._lock:
            if len(self._tokens) > 1000:
                self._tokens.clear()
            self._tokens[key] = (viewer, now + TOKEN_CACHE_S)
        return viewer


def _token_of(request: Request) -> tuple[str | None, bool]:
    """(token, came from the cookie)."""
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip(), False
    cookie = request.cookies.get(COOKIE)
    return (cookie, True) if cookie else (None, False)


def _same_origin(request: Request) -> bool:
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source:
        return False
    return urlsplit(source).netloc == request.headers.get("host", "")


def _unauthorized(api: bool) -> Response:
    headers = {**SECURITY_HEADERS, "WWW-Authenticate": 'Bearer realm="bigday"'}
    if api:
        return JSONResponse({"error": "a valid token is needed (Authorization: Bearer ...)"}, 401, headers)
    return HTMLResponse(pages.message_page("Sign in", "A valid token is needed to see this page."), 401, headers)


def _problem(e: HttpProblem, api: bool, viewer: Viewer | None) -> Response:
    if api:
        return JSONResponse({"error": e.message}, e.status, SECURITY_HEADERS)
    return HTMLResponse(pages.message_page(f"{e.status}", e.message, viewer), e.status, SECURITY_HEADERS)


def guarded(app: Dashboard, fn: Handler, api: bool, write: bool = False) -> Callable[[Request], Awaitable[Response]]:
    """Authenticate, refuse cross-site cookie writes, run ``fn`` in the thread pool, map problems to answers."""

    async def endpoint(request: Request) -> Response:
        token, from_cookie = _token_of(request)
        try:
            viewer = await _viewer_of(app, token)
        except BigdayError:
            return JSONResponse({"error": "the store could not be read"}, 503, SECURITY_HEADERS)
        if viewer is None:
            return _unauthorized(api)
        key = (viewer.token_id, request.url.path, request.url.query)
        if not write and (hit := app.responses.peek(key)) is not None:
            cached: Response = hit
            return cached
        try:
            if write:
                response = _response(await _write(fn, request, viewer, from_cookie), api)
                app.responses.clear()
                return response
            # A Response holds its body and headers; sending it to several requests is safe.
            fresh: Response = await run_in_threadpool(
                app.responses.get, key, lambda: _response(fn(request, viewer), api)
            )
            return fresh
        except HttpProblem as e:
            return _problem(e, api, viewer)
        except ConfigError as e:
            return _problem(HttpProblem(400, str(e)), api, viewer)
        except BigdayError:
            return _problem(HttpProblem(503, "the store could not be read or written"), api, viewer)

    return endpoint


async def _viewer_of(app: Dashboard, token: str | None) -> Viewer | None:
    known, viewer = app.known_viewer(token)
    return viewer if known else await run_in_threadpool(app.viewer, token)


async def _write(fn: Handler, request: Request, viewer: Viewer, from_cookie: bool) -> Any:
    if from_cookie and not _same_origin(request):
        raise HttpProblem(403, "a form from another site cannot change alerts here")
    if not viewer.admin:
        raise HttpProblem(403, "this token is read-only: only an admin token may acknowledge or resolve")
    return await run_in_threadpool(fn, request, viewer, await _body(request))


def _response(result: Any, api: bool) -> Response:
    if isinstance(result, Response):
        for k, v in SECURITY_HEADERS.items():
            result.headers.setdefault(k, v)  # a route may set its own policy (the charts' inline scripts)
        return result
    if api:
        return JSONResponse(result, headers=SECURITY_HEADERS)
    return HTMLResponse(result, headers=SECURITY_HEADERS)


async def _body(request: Request) -> dict[str, str]:
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            raw = json.loads(await request.body() or b"{}")
        except ValueError:
            raise HttpProblem(400, 'expected a JSON object like {"note": "..."}') from None
        if not isinstance(raw, dict):
            raise HttpProblem(400, 'expected a JSON object like {"note": "..."}')
        return {k: str(v) for k, v in raw.items() if isinstance(v, (str, int, float))}
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _window(request: Request) -> float | None:
    raw = request.query_params.get("window")
    if not raw:
        return None
    try:
        seconds = parse_duration_ms(raw, default_unit="d") / 1000
    except ValueError:
        raise HttpProblem(400, "window: expected a duration like 30d or 12h") from None
    if not 0 < seconds <= 400 * 86400:
        raise HttpProblem(400, "window: expected a duration from 1s to 400d")
    return seconds


def _int(request: Request, name: str, default: int, lo: int, hi: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not lo <= int(raw) <= hi:
        raise HttpProblem(400, f"{name}: expected a whole number in {lo}..{hi}")
    return int(raw)


def _status(request: Request) -> str:
    status = request.query_params.get("status", "open")
    if status not in data.ALERT_STATUSES:
        raise HttpProblem(400, f"status: expected one of {', '.join(data.ALERT_STATUSES)}")
    return status


class _Cache:
    """Values recomputed at most every ``ttl_s`` per key; bounded, thread-safe, one computation per key at once."""

    def __init__(self, ttl_s: float, size: int = 256) -> None:
        self.ttl_s, self.size = ttl_s, size
        self._values: dict[Any, tuple[Any, float]] = {}
        self._computing: dict[Any, threading.Event] = {}
        self._lock = threading.Lock()

    def get(self, key: Any, compute: Callable[[], Any]) -> Any:
        """The cached value, or a fresh one. While one caller computes a key, the others get its expired value
        if there is one, else wait for the computation rather than all running it at once (a cold start under
        load would otherwise run the same 30-day aggregate once per waiting request)."""
        while True:
            with self._lock:
                hit = self._values.get(key)
                running = self._computing.get(key)
                if hit is not None and (hit[1] > time.monotonic() or running is not None):
                    return hit[0]
                if running is None:
                    done = self._computing[key] = threading.Event()
                    break
            running.wait()  # then take its value, or compute it here if it failed
        try:
            value = compute()
            self.put(key, value)
            return value
        finally:
            with self._lock:
                self._computing.pop(key, None)
            done.set()

    def peek(self, key: Any) -> Any:
        """The value while it is fresh, else None."""
        with self._lock:
            hit = self._values.get(key)
        return hit[0] if hit is not None and hit[1] > time.monotonic() else None

    def put(self, key: Any, value: Any) -> None:
        with self._lock:
            if len(self._values) >= self.size:
                self._values.clear()
            self._values[key] = (value, time.monotonic() + self.ttl_s)

    def clear(self) -> None:
        with self._lock:
            self._values.clear()


class Views:
    """The routes' work, each taking the request and the viewer (and, for changes, the form)."""

    def __init__(self, store: Store, scenario: Scenario) -> None:
        self.store, self.scenario = store, scenario
        self._sla = _Cache(SLA_CACHE_S)
        self._overview = _Cache(OVERVIEW_CACHE_S)
        self._dashboard = _Cache(DASHBOARD_CACHE_S)

    def sla_of(self, viewer: Viewer, window_s: float | None) -> Any:
        def compute() -> Any:
            with self.store.read() as conn:
                return data.sla(conn, self.scope(viewer), window_s)

        return self._sla.get((viewer.tenant, window_s), compute)

    def overview_of(self, viewer: Viewer) -> list[dict[str, Any]]:
        def compute() -> list[dict[str, Any]]:
            with self.store.read() as conn:
                return data.overview(conn, self.scope(viewer))

        rows: list[dict[str, Any]] = self._overview.get(viewer.tenant, compute)
        return rows

    def charts(self, request: Request, viewer: Viewer) -> Response:
        def compute() -> str:
            return served_dashboard(self.store, self.scenario, viewer.tenant, DASHBOARD_DAYS)

        html: str = self._dashboard.get(viewer.tenant, compute)
        return HTMLResponse(html, headers={"Content-Security-Policy": f"{DASHBOARD_CSP}; frame-ancestors 'none'"})

    def scope(self, viewer: Viewer) -> data.Scope:
        return data.Scope(self.scenario, viewer)

    def visible_page(self, request: Request, viewer: Viewer) -> str:
        page = str(request.path_params["page"])
        if not self.scope(viewer).may_see(page):
            raise HttpProblem(404, "no such page")
        return page

    # ------------------------------------------------------------ HTML

    def home(self, request: Request, viewer: Viewer) -> str:
        return pages.overview_page(viewer, self.overview_of(viewer), self.scope(viewer).tenant_names())

    def page(self, request: Request, viewer: Viewer) -> str:
        name = self.visible_page(request, viewer)
        s = self.scope(viewer)
        with self.store.read() as conn:
            recent = data.checks(conn, s, name, _int(request, "limit", 50, 1, 1000))
            trend = data.trends(conn, s, name, _int(request, "days", 30, 1, 400))
            open_alerts = [a for a in data.alerts(conn, s, "open") if a["page"] == name]
        return pages.page_page(viewer, name, recent, trend, open_alerts)

    def alerts_html(self, request: Request, viewer: Viewer) -> str:
        status = _status(request)
        with self.store.read() as conn:
            rows = data.alerts(conn, self.scope(viewer), status)
        return pages.alerts_page(viewer, rows, status)

    def sla_html(self, request: Request, viewer: Viewer) -> str:
        report = self.sla_of(viewer, _window(request))
        return pages.sla_page(viewer, report, json.loads(to_json(report)))

    def maintenance_html(self, request: Request, viewer: Viewer) -> str:
        with self.store.read() as conn:
            rows = data.maintenance(conn, self.scope(viewer))
        return pages.maintenance_page(viewer, rows)

    def api_field(self, request: Request, viewer: Viewer) -> dict[str, Any]:
        days = _int(request, "days", rum_store.WINDOW_DAYS, 1, 400)
        with self.store.read() as conn:
            views = field.field_beside_lab(conn, self.scenario, viewer.tenant, days)
        return {"days": days, "routes": [v.as_dict() for v in views], "flags": field.warnings(views)}

    def field_html(self, request: Request, viewer: Viewer) -> str:
        result = self.api_field(request, viewer)
        return pages.field_page(viewer, result["routes"], result["flags"], result["days"])

    def audit_html(self, request: Request, viewer: Viewer) -> str:
        return pages.audit_page(viewer, self.api_audit(request, viewer)["audit"])

    # ------------------------------------------------------------ changes

    def _change(self, action: str, request: Request, viewer: Viewer, form: dict[str, str]) -> dict[str, Any]:
        alert_id = int(request.path_params["alert_id"])
        with self.store.read() as conn:
            if not data.alert_visible(conn, self.scope(viewer), alert_id):
                raise HttpProblem(404, "no such alert")
        note = (form.get("note") or "").strip()[:2000] or None
        if action == "acknowledge":
            alert_store.acknowledge(self.store, alert_id, viewer.actor, note=note, source="serve")
        else:
            alert_store.resolve(self.store, alert_id, note, by=viewer.actor, source="serve")
        for cache in (self._overview, self._dashboard):  # they show open alerts; the SLA does not
            cache.clear()
        return {"id": alert_id, "action": action, "by": viewer.actor, "note": note}

    def acknowledge(self, request: Request, viewer: Viewer, form: dict[str, str]) -> Response:
        self._change("acknowledge", request, viewer, form)
        return RedirectResponse("/alerts", status_code=303)

    def resolve(self, request: Request, viewer: Viewer, form: dict[str, str]) -> Response:
        self._change("resolve", request, viewer, form)
        return RedirectResponse("/alerts", status_code=303)

    def api_acknowledge(self, request: Request, viewer: Viewer, form: dict[str, str]) -> dict[str, Any]:
        return self._change("acknowledge", request, viewer, form)

    def api_resolve(self, request: Request, viewer: Viewer, form: dict[str, str]) -> dict[str, Any]:
        return self._change("resolve", request, viewer, form)

    # ------------------------------------------------------------ JSON

    def api_whoami(self, request: Request, viewer: Viewer) -> dict[str, Any]:
        return {"name": viewer.name, "role": viewer.role}

    def api_pages(self, request: Request, viewer: Viewer) -> dict[str, Any]:
        return {"pages": self.overview_of(viewer)}

    def api_checks(self, request: Request, viewer: Viewer) -> dict[str, Any]:
        name = self.visible_page(request, viewer)
        limit = _int(request, "limit", 50, 1, 5000)
        with self.store.read() as conn:
            return {"page": name, "checks": data.checks(conn, self.scope(viewer), name, limit)}

    def api_trends(self, request: Request, viewer: Viewer) -> dict[str, Any]:
        name = self.visible_page(request, viewer)
        with self.store.read() as conn:
            trend = data.trends(conn, self.scope(viewer), name, _int(request, "days", 30, 1, 400))
        metric = request.query_params.get("metric")
        if metric:
            trend["series"] = {k: v for k, v in trend["series"].items() if k == metric}
        return trend

    def api_alerts(self, request: Request, viewer: Viewer) -> dict[str, Any]:
        with self.store.read() as conn:
            return {"alerts": data.alerts(conn, self.scope(viewer), _status(request))}

    def api_sla(self, request: Request, viewer: Viewer) -> Any:
        return json.loads(to_json(self.sla_of(viewer, _window(request))))

    def api_maintenance(self, request: Request, viewer: Viewer) -> dict[str, Any]:
        with self.store.read() as conn:
            return {"maintenance": data.maintenance(conn, self.scope(viewer))}

    def api_audit(self, request: Request, viewer: Viewer) -> dict[str, Any]:
        if not viewer.admin:
            raise HttpProblem(403, "the audit log is for admin tokens")
        with self.store.read() as conn:
            return {"audit": data.audit_rows(conn)}


def _session_routes(app: Dashboard) -> list[Route]:
    async def login(request: Request) -> Response:
        if request.method == "GET":
            return HTMLResponse(pages.login_page(), headers=SECURITY_HEADERS)
        form = await request.form()
        token = form.get("token")
        viewer = await run_in_threadpool(app.viewer, token if isinstance(token, str) else None)
        if viewer is None:
            return HTMLResponse(pages.login_page("That token is not valid."), 401, SECURITY_HEADERS)
        resp = RedirectResponse("/", status_code=303)
        resp.set_cookie(COOKIE, str(token), httponly=True, samesite="strict", secure=request.url.scheme == "https")
        return resp

    async def logout(request: Request) -> Response:
        resp = RedirectResponse("/login", status_code=303)
        resp.delete_cookie(COOKIE)
        return resp

    async def healthz(request: Request) -> Response:
        return JSONResponse({"ok": True}, headers=SECURITY_HEADERS)

    return [Route("/login", login, methods=["GET", "POST"]), Route("/logout", logout), Route("/healthz", healthz)]


async def _not_found(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status_code", 404)
    message = "no such page" if status == 404 else f"method {request.method} not allowed"
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": message}, status, SECURITY_HEADERS)
    return HTMLResponse(pages.message_page(str(status), message), status, SECURITY_HEADERS)


def build_app(store: Store, scenario: Scenario) -> Starlette:
    """The dashboard's ASGI app over ``store``, with ``scenario`` for pages, tenants and the SLA policy."""
    app = Dashboard(store, scenario)
    v = Views(store, scenario)
    reads = {
        "/": (v.home, False),
        "/charts": (v.charts, False),
        "/pages/{page}": (v.page, False),
        "/alerts": (v.alerts_html, False),
        "/sla": (v.sla_html, False),
        "/maintenance": (v.maintenance_html, False),
        "/audit": (v.audit_html, False),
        "/field": (v.field_html, False),
        "/api/field": (v.api_field, True),
        "/api/whoami": (v.api_whoami, True),
        "/api/pages": (v.api_pages, True),
        "/api/pages/{page}/checks": (v.api_checks, True),
        "/api/pages/{page}/trends": (v.api_trends, True),
        "/api/alerts": (v.api_alerts, True),
        "/api/sla": (v.api_sla, True),
        "/api/maintenance": (v.api_maintenance, True),
        "/api/audit": (v.api_audit, True),
    }
    writes = {
        "/alerts/{alert_id:int}/acknowledge": (v.acknowledge, False),
        "/alerts/{alert_id:int}/resolve": (v.resolve, False),
        "/api/alerts/{alert_id:int}/acknowledge": (v.api_acknowledge, True),
        "/api/alerts/{alert_id:int}/resolve": (v.api_resolve, True),
    }
    routes = [Route(path, guarded(app, fn, api)) for path, (fn, api) in reads.items()]
    routes += [Route(path, guarded(app, fn, api, write=True), methods=["POST"]) for path, (fn, api) in writes.items()]
    routes += _session_routes(app)
    collector = Collector(store, scenario.rum)
    routes += collector.routes()
    return RumApp(collector, routes=routes, exception_handlers={404: _not_found, 405: _not_found})
