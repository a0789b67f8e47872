"""The reference target's ASGI app: pages, JSON APIs, uploads and static assets, with the fault knobs."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from bigday.errors import ConfigError
from bigday.settings.scenario import Scenario
from bigday.target.data import TenantData, make_tenant_data
from bigday.target.delivery import DYNAMIC_LEVEL, NO_STORE, accepts_gzip, compress, static_response
from bigday.target.faults import LOOPBACK_CLIENTS, FaultSwitches
from bigday.target.helpers import DEFAULT_CPU_SHARE, HelperCrashed
from bigday.target.images import (
    RENDITION_WIDTHS,
    ImageAsset,
    gallery_renditions,
    hero_variant,
    make_images,
    rendition_name,
)
from bigday.target.jsgen import (
    CHUNKS,
    Chunk,
    blocking_script,
    build_chunks,
    busy_script,
    padding,
    unused_code,
    unused_rules,
)
from bigday.target.knobs import DEFAULT_RUM_ENDPOINT, Knobs, overrides_query, request_overrides
from bigday.target.pages import PAGE_BY_PATH, PAGES, GalleryPhoto, PageContext, render_page, rum_tag
from bigday.target.pools import QueueFull, Ticket, WorkerPools
from bigday.target.uploads import PhotoStore, UploadRejected

STATIC_DIR = Path(__file__).resolve().parent / "static"
RETRY_AFTER_S = 1
# Multipart framing and small extra fields on top of the file itself.
MULTIPART_SLACK = 64 * 1024


@dataclass(frozen=True)
class AppSettings:
    """What the app needs from the server configuration."""

    isolation: str
    workers: int
    queue_limit: int
    upload_limit_bytes: int
    knobs: Knobs
    upload_cpu_share: float = DEFAULT_CPU_SHARE
    rum_endpoint: str = DEFAULT_RUM_ENDPOINT  # where the snippet (the rum knob) sends its beacons


class HttpError(Exception):
    """Answer with this status and a JSON ``{"error": message}``."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers={**NO_STORE, **(headers or {})})


class TargetApp:
    """State shared by the handlers: tenants' data, generated assets, worker pools and the photo store."""

    def __init__(self, scenario: Scenario, settings: AppSettings) -> None:
        self.scenario = scenario
        self.settings = settings
        self.tenant_ids = tuple(t.id for t in scenario.tenants)
        self.data = {t.id: make_tenant_data(t) for t in scenario.tenants}
        self.chunks: dict[str, Chunk] = build_chunks()
        self.css_bytes = (STATIC_DIR / "app.css").read_bytes()
        self.heroes, self.gallery = make_images()
        # The gallery's srcset renditions take about a second to make: made beside the server's start, not
        # before it, and waited for by the first request that wants one.
        self._rendition_maker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="renditions")
        self.renditions = self._rendition_maker.submit(gallery_renditions, self.gallery)
        self.hero_variants: dict[tuple[str, str], ImageAsset] = {}
        self.pools = WorkerPools(
            self.tenant_ids, settings.isolation, settings.workers, settings.queue_limit, settings.upload_cpu_share
        )
        self.upload_dir = Path(tempfile.mkdtemp(prefix="bigday-target-uploads-"))
        self.photos = PhotoStore(self.upload_dir, self.tenant_ids, settings.upload_limit_bytes)
        self.faults = FaultSwitches()

    def close(self) -> None:
        self._rendition_maker.shutdown(wait=False, cancel_futures=True)
        self.pools.shutdown()
        shutil.rmtree(self.upload_dir, ignore_errors=True)

    # ------------------------------------------------------------ request context

    def tenant_of(self, request: Request) -> TenantData:
        tid = request.headers.get("x-tenant") or request.query_params.get("tenant") or self.tenant_ids[0]
        data = self.data.get(tid)
        if data is None:
            raise HttpError(404, f"unknown tenant {tid!r}; tenants are {', '.join(self.tenant_ids)}")
        return data

    def knobs_of(self, request: Request) -> tuple[Knobs, dict[str, int]]:
        """The knobs in effect (server defaults, then the fault switches, then the query) and the ones the query
        set explicitly."""
        try:
            overrides = request_overrides(request.query_params)
        except ConfigError as e:
            raise HttpError(400, str(e)) from None
        switched, _ = self.faults.snapshot()
        return replace(self.settings.knobs, **{**switched, **overrides}), overrides

    def guard(self, request: Request, counts_as_call: bool) -> None:
        """Downtime answers 503 to every request; the error rate answers 500 to documents and API calls."""
        _, down = self.faults.snapshot()
        if down:
            raise HttpError(503, "the app is down (fault switch)", {"Retry-After": str(RETRY_AFTER_S)})
        if counts_as_call:
            knobs, _ = self.knobs_of(request)
            if self.faults.next_fails(knobs.errors):
                raise HttpError(500, f"injected server error (errors={knobs.errors}%)")

    # ------------------------------------------------------------ fault switches

    async def admin_faults(self, request: Request) -> Response:
        host = request.client.host if request.client else ""
        if host not in LOOPBACK_CLIENTS:
            raise HttpError(403, "the fault switches answer loopback clients only")
        if request.method == "DELETE":
            return JSONResponse(self.faults.clear(), headers=NO_STORE)
        if request.method in ("POST", "PUT"):
            try:
                body = json.loads(await request.body() or b"{}")
            except ValueError:
                raise HttpError(400, 'expected a JSON object like {"jank": 200, "down": true}') from None
            if not isinstance(body, dict):
                raise HttpError(400, 'expected a JSON object like {"jank": 200, "down": true}')
            try:
                return JSONResponse(self.faults.update(body), headers=NO_STORE)
            except ConfigError as e:
                raise HttpError(400, str(e)) from None
        return JSONResponse(self.faults.state(), headers=NO_STORE)

    def admit(self, tenant: str) -> Ticket:
        try:
            return self.pools.admit(tenant)
        except QueueFull:
            raise HttpError(
                503,
                f"tenant {tenant!r} already has {self.settings.queue_limit} requests queued; retry later",
                {"Retry-After": str(RETRY_AFTER_S)},
            ) from None

    async def pooled(self, request: Request, fn: Callable[..., bytes], *args: object) -> bytes:
        """server_delay, then ``fn`` on the tenant's worker pool."""
        tenant = self.tenant_of(request)
        knobs, _ = self.knobs_of(request)
        if knobs.server_delay:
            await asyncio.sleep(knobs.server_delay / 1000)
        ticket = self.admit(tenant.tenant.id)
        try:
            return await ticket.run(fn, *args)
        finally:
            ticket.close_unused()

    async def pooled_text(self, request: Request, fn: Callable[[], bytes], media_type: str) -> Response:
        """A dynamic text response made on the tenant's worker, compressed there too (unless uncompressed)."""
        knobs, _ = self.knobs_of(request)
        packed = accepts_gzip(request) and not knobs.uncompressed

        def work() -> bytes:
            body = fn()
            return compress(body, DYNAMIC_LEVEL) if packed else body

        body = await self.pooled(request, work)
        headers = {**NO_STORE, "Vary": "Accept-Encoding", **({"Content-Encoding": "gzip"} if packed else {})}
        return Response(body, media_type=media_type, headers=headers)

    # ------------------------------------------------------------ pages

    def gallery_photos(self, tenant: str) -> tuple[GalleryPhoto, ...]:
        stock = tuple(
            GalleryPhoto(
                f"{tenant}-stock-{i + 1}",
                f"/static/img/gallery/{a.name}",
                a.width,
                a.height,
                a.alt,
                a.content_type.split("/")[1].upper(),
                ", ".join(f"/static/img/gallery/{rendition_name(a.name, w)} {w}w" for w in RENDITION_WIDTHS),
            )
            for i, a in enumerate(self.gallery.values())
        )
        uploaded = tuple(
            GalleryPhoto(
                p.id,
                f"/media/photos/{p.id}/thumb?tenant={tenant}",
                p.thumb_size[0],
                p.thumb_size[1],
                f"Uploaded photo {p.id}",
                p.format,
            )
            for p in self.photos.list(tenant)
            if p.thumb_size
        )
        return stock + uploaded

    async def page(self, request: Request) -> Response:
        spec = PAGE_BY_PATH[request.url.path]
        tenant = self.tenant_of(request)
        knobs, overrides = self.knobs_of(request)
        ctx = PageContext(
            spec,
            tenant,
            knobs,
            overrides_query(overrides, tenant.tenant.id),
            _other_site(request),
            self.gallery_photos(tenant.tenant.id) if spec.key == "gallery" else (),
            self.rum_tag(knobs, tenant.tenant.id, spec.path),
        )
        return await self.pooled_text(request, lambda: render_page(ctx).encode("utf-8"), "text/html; charset=utf-8")

    def rum_tag(self, knobs: Knobs, tenant: str, route: str) -> str:
        """The field-beacon snippet when the rum knob asks for it, with the key of the tenant's rum site."""
        if not knobs.rum:
            return ""
        site = next((s for s in self.scenario.rum.sites if s.tenant == tenant), None)
        if site is None:
            raise HttpError(400, f"rum={knobs.rum}: the scenario's rum.sites names no site for tenant {tenant!r}")
        return rum_tag(self.settings.rum_endpoint, site.key, tenant, route, knobs.rum)

    async def root(self, request: Request) -> Response:
        query = f"?{request.url.query}" if request.url.query else ""
        return RedirectResponse(f"/dashboard{query}", status_code=302)

    # ------------------------------------------------------------ APIs

    async def api_clients(self, request: Request) -> Response:
        tenant = self.tenant_of(request)
        offset = _int_param(request, "offset", 0, 0, 10_000_000)
        limit = _int_param(request, "limit", 50, 1, 100_000)
        q = request.query_params.get("q", "")

        def work() -> bytes:
            matches = tenant.search(q)
            page = [c.as_dict() for c in matches[offset : offset + limit]]
            body = {
                "tenant": tenant.tenant.id,
                "total": len(matches),
                "offset": offset,
                "limit": limit,
                "clients": page,
            }
            return json.dumps(body, separators=(",", ":")).encode()

        return await self.pooled_text(request, work, "application/json")

    async def api_timeline(self, request: Request) -> Response:
        tenant = self.tenant_of(request)

        def work() -> bytes:
            nw = tenant.next_wedding
            body = {
                "tenant": tenant.tenant.id,
                "wedding": {"client": nw.id, "couple": nw.couple, "date": nw.wedding_date, "venue": nw.venue},
                "events": [{"id": e.id, "time": e.time, "title": e.title} for e in tenant.timeline],
            }
            return json.dumps(body, separators=(",", ":")).encode()

        return await self.pooled_text(request, work, "application/json")

    async def api_photos(self, request: Request) -> Response:
        tid = self.tenant_of(request).tenant.id

        def work() -> bytes:
            photos = [
                {"id": p.id, "url": p.url, "width": p.width, "height": p.height, "format": p.format, "alt": p.alt}
                for p in self.gallery_photos(tid)
            ]
            return json.dumps({"tenant": tid, "photos": photos}, separators=(",", ":")).encode()

        return await self.pooled_text(request, work, "application/json")

    async def upload(self, request: Request) -> Response:
        tenant = self.tenant_of(request).tenant.id
        knobs, _ = self.knobs_of(request)
        limit = self.settings.upload_limit_bytes
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit + MULTIPART_SLACK:
            raise HttpError(413, f"upload of {declared} bytes is over the limit of {limit} bytes")
        if knobs.server_delay:
            await asyncio.sleep(knobs.server_delay / 1000)
        # Admitted before the body is read, so a tenant over its bound is turned away cheaply.
        ticket = self.admit(tenant)
        try:
            body = bytearray()
            async for chunk in request.stream():
                body += chunk
                if len(body) > limit + MULTIPART_SLACK:
                    raise HttpError(413, f"upload is over the limit of {limit} bytes")
            content_type = request.headers.get("content-type", "")
            try:
                photo = await ticket.run(
                    self.photos.process, tenant, bytes(body), content_type, self.pools.helpers(tenant).run
                )
            except UploadRejected as e:
                raise HttpError(e.status, e.message) from None
            except HelperCrashed as e:
                raise HttpError(500, str(e)) from None
        finally:
            ticket.close_unused()
        return JSONResponse(photo.public(), status_code=201, headers=NO_STORE)

    async def media(self, request: Request) -> Response:
        tenant = self.tenant_of(request).tenant.id
        photo = self.photos.get(tenant, request.path_params["photo_id"])
        thumb = request.url.path.endswith("/thumb")
        if photo is None or (thumb and photo.thumb_path is None):
            raise HttpError(404, f"no photo {request.path_params['photo_id']!r} for tenant {tenant!r}")
        path = photo.thumb_path if thumb else photo.path
        assert path is not None
        data = await self.pooled(request, path.read_bytes)
        return Response(data, media_type="image/jpeg" if thumb else photo.content_type, headers=NO_STORE)

    # ------------------------------------------------------------ static assets

    async def js(self, request: Request) -> Response:
        name = request.path_params["chunk"]
        knobs, _ = self.knobs_of(request)
        if name == "blocking":
            body = blocking_script()
        elif name == "third-party":
            body = busy_script(knobs.third_party)
        elif name not in CHUNKS:
            raise HttpError(404, f"no chunk {name!r}; chunks are {', '.join(CHUNKS)}")
        else:
            unused = unused_code(knobs.unused_js) if name == "main" else b""
            body = self.chunks[name].source + padding(knobs.extra_js) + unused
        return static_response(request, body, "text/javascript; charset=utf-8", knobs, text=True)

    async def css(self, request: Request) -> Response:
        knobs, _ = self.knobs_of(request)
        body = self.css_bytes + unused_rules(knobs.unused_css)
        return static_response(request, body, "text/css; charset=utf-8", knobs, text=True)

    async def hero(self, request: Request) -> Response:
        asset = self.heroes.get(request.path_params["page"])
        if asset is None:
            raise HttpError(404, f"no hero image {request.path_params['page']!r}")
        knobs, _ = self.knobs_of(request)
        if knobs.lcp_delay:
            # Held on the event loop without a worker: the browser waits, the server does not.
            await asyncio.sleep(knobs.lcp_delay / 1000)
            return Response(asset.data, media_type=asset.content_type, headers=NO_STORE)
        variant = "oversized" if knobs.oversized_image else "heavy" if knobs.heavy_image else ""
        if variant:
            asset = await self.hero_variant(request.path_params["page"], variant)
        return static_response(request, asset.data, asset.content_type, knobs, text=False)

    async def hero_variant(self, page: str, variant: str) -> ImageAsset:
        key = (page, variant)
        if key not in self.hero_variants:
            # Drawn on first use, off the event loop: most servers never need them.
            self.hero_variants[key] = await asyncio.to_thread(hero_variant, page, variant)
        return self.hero_variants[key]

    async def hero_redirect(self, request: Request) -> Response:
        query = f"?{request.url.query}" if request.url.query else ""
        return RedirectResponse(f"/static/img/hero/{request.path_params['page']}.jpg{query}", status_code=302)

    async def gallery_image(self, request: Request) -> Response:
        name = request.path_params["name"]
        asset = self.gallery.get(name) or (await asyncio.wrap_future(self.renditions)).get(name)
        if asset is None:
            raise HttpError(404, f"no gallery image {name!r}")
        knobs, _ = self.knobs_of(request)
        return static_response(request, asset.data, asset.content_type, knobs, text=False)

    async def healthz(self, request: Request) -> Response:
        return JSONResponse({"ok": True, "pools": self.pools.stats()}, headers=NO_STORE)


def _other_site(request: Request) -> str:
    """The same server under another site's name (127.0.0.1 and localhost are two sites to a browser)."""
    other = "localhost" if request.url.hostname == "127.0.0.1" else "127.0.0.1"
    return f"{request.url.scheme}://{other}:{request.url.port or 80}"


def _int_param(request: Request, name: str, default: int, lo: int, hi: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not lo <= int(raw) <= hi:
        raise HttpError(400, f"query parameter {name}: expected a whole number in {lo}..{hi}, got {raw!r}")
    return int(raw)


def _handle(
    fn: Callable[[Request], Awaitable[Response]], guard: Callable[[Request], None] | None = None
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        try:
            if guard is not None:
                guard(request)
            return await fn(request)
        except HttpError as e:
            return _error(e.status, e.message, e.headers)

    return endpoint


def build_app(scenario: Scenario, settings: AppSettings) -> Starlette:
    """The ASGI app; assets are generated here, before the first request."""
    target = TargetApp(scenario, settings)

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            target.close()

    def call(request: Request) -> None:
        target.guard(request, counts_as_call=True)

    def asset(request: Request) -> None:
        target.guard(request, counts_as_call=False)

    routes = [Route(p.path, _handle(target.page, call)) for p in PAGES]
    routes += [
        Route("/", _handle(target.root, asset)),
        Route("/healthz", _handle(target.healthz, asset)),
        Route("/_admin/faults", _handle(target.admin_faults), methods=["GET", "POST", "PUT", "DELETE"]),
        Route("/api/clients", _handle(target.api_clients, call)),
        Route("/api/timeline", _handle(target.api_timeline, call)),
        Route("/api/photos", _handle(target.api_photos, call), methods=["GET"]),
        Route("/api/photos", _handle(target.upload, call), methods=["POST"]),
        Route("/media/photos/{photo_id}", _handle(target.media, asset)),
        Route("/media/photos/{photo_id}/thumb", _handle(target.media, asset)),
        Route("/static/js/{chunk}.js", _handle(target.js, asset)),
        Route("/static/css/app.css", _handle(target.css, asset)),
        Route("/static/img/hero/{page}.jpg", _handle(target.hero, asset)),
        Route("/static/img/hero-redirect/{page}.jpg", _handle(target.hero_redirect, asset)),
        Route("/static/img/gallery/{name}", _handle(target.gallery_image, asset)),
    ]

    async def not_found(request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 404)
        what = "no such path" if status == 404 else f"method {request.method} not allowed"
        return _error(status, f"{what}: {request.url.path}")

    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={404: not_found, 405: not_found})
    app.state.target = target
    return app
