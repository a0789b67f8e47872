"""How the probe's browser reaches the app as each tenant: its URLs, headers and cookies, and its signed-in state.

:class:`TenantAccess` follows the scenario's ``tenancy`` and ``auth``. A sign-in journey runs once per tenant
per probe, in a context of its own, before any page is measured; the storage state it leaves (cookies and
local storage) is kept in memory only and handed to every page run's fresh context, so each run is cold in
its cache yet signed in. A page run that lands on the login page means the session expired: the runner signs
in again and measures the page once more. Secrets (``${VAR}``) are read when first needed and never leave
this object: not in the run folder, not in an error message.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Browser
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from bigday.errors import ConfigError, RunError
from bigday.probe.profiles import Profile
from bigday.probe.results import PageRun, PageTarget
from bigday.probe.steps import StepFailed, perform
from bigday.settings.scenario import InteractionStep, Page, Scenario
from bigday.settings.templates import render

SIGN_IN_TIMEOUT_MS = 30_000.0


class TenantAccess:
    """URLs, context options and sign-ins for one probe of ``scenario`` at ``base_url``."""

    def __init__(self, scenario: Scenario, base_url: str, profile: Profile) -> None:
        self.scenario = scenario
        self.base_url = base_url.rstrip("/")
        self.profile = profile
        self._values: dict[str, dict[str, str]] = {}
        self._states: dict[str, dict[str, Any]] = {}

    # ------------------------------------------------------------ per tenant

    def values(self, tenant: str) -> dict[str, str]:
        """The tenant's placeholder values, secrets read from the environment (ConfigError if one is unset)."""
        found = self._values.get(tenant)
        if found is None:
            t = self.scenario.tenant(tenant)
            found = self._values[tenant] = {k: render(v, {}) for k, v in t.values().items()}
        return found

    def key(self, tenant: str) -> str:
        return self.scenario.tenant(tenant).key

    def url(self, tenant: str, path: str, knobs: tuple[tuple[str, str], ...] = ()) -> str:
        values = self.values(tenant)
        return self.scenario.tenancy.url(self.base_url, render(path, values), tenant, self.key(tenant), knobs)

    def steps(self, tenant: str, steps: tuple[InteractionStep, ...]) -> tuple[InteractionStep, ...]:
        """``steps`` with their placeholders and secrets filled in; an upload's file found beside the scenario."""
        values = self.values(tenant)
        out = []
        for s in steps:
            filled = dataclasses.replace(
                s,
                selector=render(s.selector, values),
                text=render(s.text, values),
                url=render(s.url, values),
                file=render(s.file, values),
            )
            if filled.file:
                path = Path(filled.file).expanduser()
                path = path if path.is_absolute() else self.scenario.folder / path
                if not path.is_file():
                    raise ConfigError(f"{self.scenario.source}: upload step: no such file {path}")
                filled = dataclasses.replace(filled, file=str(path))
            out.append(filled)
        return tuple(out)

    def target(self, page: Page, tenant: str, knobs: tuple[tuple[str, str], ...] = ()) -> PageTarget:
        return PageTarget(
            page.name,
            page.path,
            self.url(tenant, page.path, knobs),
            tenant,
            self.steps(tenant, page.interaction),
            page.settle_min_ms,
            page.settle_max_ms,
        )

    def context_options(self, tenant: str) -> dict[str, Any]:
        """What a page run's browser context needs to be this tenant: headers, and cookies or signed-in state."""
        values = self.values(tenant)
        auth = self.scenario.auth
        headers = {k: render(v, values) for k, v in auth.headers.items()}
        headers.update(self.scenario.tenancy.headers(self.key(tenant)))
        options: dict[str, Any] = {"extra_http_headers": headers} if headers else {}
        state = self._storage_state(tenant)
        if state is not None:
            options["storage_state"] = state
        return options

    def _storage_state(self, tenant: str) -> dict[str, Any] | None:
        auth = self.scenario.auth
        state: dict[str, Any] | None = None
        if tenant in self._states:
            state = json.loads(json.dumps(self._states[tenant]))  # each context gets its own copy
        elif auth.storage_state:
            state = self._read_state_file(render(auth.storage_state, self.values(tenant)))
        if auth.cookies:
            host = urlsplit(self.url(tenant, "/")).hostname or "localhost"
            state = state or {"cookies": [], "origins": []}
            values = self.values(tenant)
            state["cookies"] = [
                *state.get("cookies", []),
                *(
                    {"name": k, "value": render(v, values), "domain": host, "path": "/"}
                    for k, v in auth.cookies.items()
                ),
            ]
        return state

    def _read_state_file(self, given: str) -> dict[str, Any]:
        path = Path(given).expanduser()
        path = path if path.is_absolute() else self.scenario.folder / path
        try:
            state = json.loads(path.read_text(encoding="utf-8"))
        except OSError as e:
            raise ConfigError(
                f"{self.scenario.source}: auth.storage_state: cannot read {path} ({e.strerror})"
            ) from None
        except ValueError:
            raise ConfigError(f"{self.scenario.source}: auth.storage_state: {path} is not JSON") from None
        if not isinstance(state, dict) or not isinstance(state.get("cookies", []), list):
            raise ConfigError(f"{self.scenario.source}: auth.storage_state: {path} is not a Playwright storage state")
        return state

    # ------------------------------------------------------------ signing in

    def check(self, tenants: set[str]) -> None:
        """Read every secret these tenants need now, so an unset variable fails before any browser work."""
        for t in sorted(tenants):
            self.context_options(t)

    def sign_in_all(self, browser: Browser, tenants: set[str]) -> None:
        for t in sorted(tenants):
            self.sign_in(browser, t)

    def ensure_signed_in(self, browser: Browser, tenant: str) -> None:
        """Sign in as ``tenant`` unless it already has; for callers that meet tenants one at a time."""
        if self.scenario.auth.sign_in is not None and tenant not in self._states:
            self.sign_in(browser, tenant)

    def sign_in(self, browser: Browser, tenant: str) -> None:
        """Run the scenario's sign-in journey as ``tenant`` and keep the storage state it leaves.

        RunError naming the tenant and the step that failed (never the text typed into it)."""
        sign_in = self.scenario.auth.sign_in
        if sign_in is None:
            return
        self._states.pop(tenant, None)
        steps = (*self.steps(tenant, sign_in.steps), *self.steps(tenant, (sign_in.success,)))
        where = f"tenant {tenant!r}: sign-in"
        try:
            context = browser.new_context(
                **self.profile.context_options(browser.version), **self.context_options(tenant)
            )
        except PlaywrightError as e:
            raise RunError(f"{where}: the browser could not open a context ({str(e).splitlines()[0]})") from None
        try:
            page = context.new_page()
            url = self.url(tenant, sign_in.page)
            try:
                response = page.goto(url, wait_until="load", timeout=SIGN_IN_TIMEOUT_MS)
            except (PlaywrightTimeout, PlaywrightError) as e:
                raise RunError(
                    f"{where}: the login page {sign_in.page} did not load ({str(e).splitlines()[0]})"
                ) from None
            if response is not None and response.status >= 400:
                raise RunError(f"{where}: the login page {sign_in.page} answered HTTP {response.status}")
            for i, step in enumerate(steps):
                try:
                    perform(page, step, SIGN_IN_TIMEOUT_MS)
                except StepFailed as e:
                    raise RunError(
                        f"{where} step {i + 1} of {len(steps)} ({step.describe()}) failed: {e.reason}"
                    ) from None
            self._states[tenant] = dict(context.storage_state())
        finally:
            try:
                context.close()
            except PlaywrightError:
                pass

    def expired(self, run: PageRun) -> bool:
        """Whether a measured run landed on the login page instead of its own: the session has expired."""
        sign_in = self.scenario.auth.sign_in
        if sign_in is None or not run.ok:
            return False
        final = str(run.details.get("final_url") or "")
        login = urlsplit(self.url(run.target.tenant or self.scenario.default_tenant.id, sign_in.path)).path
        return bool(final) and urlsplit(final).path == login and urlsplit(run.target.url).path != login
