"""How bigday reaches the app as each tenant: how the app tells tenants apart, and how a visitor signs in.

``tenancy`` says where the tenant travels in each request (a header, a query parameter, the subdomain, a path
prefix, or nowhere: the signed-in account is the tenant); probes and load users both follow it, through
:meth:`Tenancy.url` and :meth:`Tenancy.headers`. ``auth`` says how a visitor signs in: static headers and
cookies, a Playwright storage-state file, or a sign-in journey on the login page (probes; load users sign in
with ``load.sign_in`` requests). Secrets appear only as ``${VAR}`` references (bigday.settings.templates).
"""

from __future__ import annotations

import re
import typing
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import Field, StrictStr, field_validator, model_validator
from pydantic.dataclasses import dataclass

from bigday.settings.base import CONFIG, Text
from bigday.settings.steps import InteractionStep, step_keys_problem
from bigday.settings.templates import env_refs, placeholders, render

TenancyWay = Literal["header", "query", "subdomain", "path", "account"]
TENANCY_WAYS: tuple[str, ...] = typing.get_args(TenancyWay)
DEFAULT_HEADER = "X-Tenant"
DEFAULT_QUERY = "tenant"
DEFAULT_PREFIX = "/{tenant_key}"
# Names of headers, cookies and credentials that hold secrets: their values must name an environment variable.
SECRET_NAME = re.compile(r"pass|secret|token|key|auth|cookie|session", re.IGNORECASE)
_HEADER_NAME = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+")


@dataclass(frozen=True, config=CONFIG)
class Tenancy:
    """Where the tenant travels: ``by`` header (``name``), query (``name``), subdomain, path (``prefix``), account."""

    by: TenancyWay = "account"
    name: StrictStr = ""  # the header or query parameter (defaults X-Tenant, tenant)
    prefix: StrictStr = ""  # path: the prefix before every path (default /{tenant_key})

    @model_validator(mode="before")
    @classmethod
    def _word(cls, data: Any) -> Any:
        return {"by": data} if isinstance(data, str) else data

    @model_validator(mode="after")
    def _fits(self) -> Tenancy:
        if self.name and self.by not in ("header", "query"):
            raise ValueError(f"name: only for by: header or query, not by: {self.by}")
        if self.prefix and self.by != "path":
            raise ValueError(f"prefix: only for by: path, not by: {self.by}")
        if self.by == "header" and self.name and not _HEADER_NAME.fullmatch(self.name):
            raise ValueError(f"name: expected an HTTP header name, got {self.name!r}")
        if self.prefix and (
            not self.prefix.startswith("/") or not set(placeholders(self.prefix)) & {"tenant", "tenant_key"}
        ):
            raise ValueError(
                "prefix: expected a path with {tenant_key} (or {tenant}), like /studios/{tenant_key},"
                f" got {self.prefix!r}"
            )
        return self

    @property
    def header_name(self) -> str:
        return self.name or DEFAULT_HEADER

    @property
    def query_name(self) -> str:
        return self.name or DEFAULT_QUERY

    def describe(self) -> str:
        """One word or two for the manifest and reports: ``query tenant``, ``header X-Studio``, ``account``."""
        if self.by == "header":
            return f"header {self.header_name}"
        if self.by == "query":
            return f"query {self.query_name}"
        if self.by == "path":
            return f"path {self.prefix or DEFAULT_PREFIX}"
        return self.by

    def base_url(self, base_url: str, tenant: str, key: str) -> str:
        """The base URL requests go to as this tenant: another host for ``subdomain``, a prefix for ``path``."""
        base = base_url.rstrip("/")
        if self.by == "subdomain":
            parts = urlsplit(base)
            netloc = f"{key}.{parts.netloc.rpartition('@')[2]}"
            return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
        if self.by == "path":
            return base + render(self.prefix or DEFAULT_PREFIX, {"tenant": tenant, "tenant_key": key}).rstrip("/")
        return base

    def url(
        self, base_url: str, path: str, tenant: str, key: str, extra_query: tuple[tuple[str, str], ...] = ()
    ) -> str:
        """The URL of ``path`` as this tenant, with ``extra_query`` parameters (the reference target's knobs)."""
        full = urlsplit(self.base_url(base_url, tenant, key) + path)
        query = parse_qsl(full.query, keep_blank_values=True)
        if self.by == "query":
            query = [(k, v) for k, v in query if k != self.query_name] + [(self.query_name, key)]
        query += [(k, str(v)) for k, v in extra_query]
        return urlunsplit((full.scheme, full.netloc, full.path, urlencode(query), full.fragment))

    def headers(self, key: str) -> dict[str, str]:
        """Headers every request carries as this tenant."""
        return {self.header_name: key} if self.by == "header" else {}


@dataclass(frozen=True, config=CONFIG)
class SignIn:
    """A sign-in journey for probes: open ``page``, perform ``steps``, then wait for ``success``."""

    page: Text
    steps: tuple[InteractionStep, ...]
    # What shows the sign-in worked: a wait_for condition (selector, text or url; timeout default 10 s).
    success: InteractionStep

    @model_validator(mode="before")
    @classmethod
    def _steps_named(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        for i, raw in enumerate(data.get("steps") or ()):
            problem = step_keys_problem(raw)
            if problem:
                raise ValueError(f"steps[{i}]: {problem} (in the sign-in)")
        success = data.get("success")
        if isinstance(success, dict) and "action" not in success:
            data = {**data, "success": {"wait_for": success}}
        return data

    @field_validator("page")
    @classmethod
    def _absolute(cls, v: str) -> str:
        if not v.startswith("/"):
            raise ValueError(f"expected a path starting with '/', got {v!r}")
        return v

    @field_validator("success")
    @classmethod
    def _a_wait(cls, v: InteractionStep) -> InteractionStep:
        if v.action != "wait_for":
            raise ValueError("expected a condition to wait for: {selector: ...}, {text: ...} or {url: ...}")
        return v

    @property
    def path(self) -> str:
        """The login page's path without its query: where a probe lands when its session has expired."""
        return self.page.split("?", 1)[0]


@dataclass(frozen=True, config=CONFIG)
class Auth:
    """How a visitor signs in; headers and cookies go with every request of probes and load users alike."""

    headers: dict[StrictStr, StrictStr] = Field(default_factory=dict)
    cookies: dict[StrictStr, StrictStr] = Field(default_factory=dict)
    storage_state: StrictStr | None = None  # a Playwright storage-state JSON file (may hold {tenant})
    sign_in: SignIn | None = None

    @model_validator(mode="after")
    def _secrets_named(self) -> Auth:
        for name, value in self.headers.items():
            if not _HEADER_NAME.fullmatch(name):
                raise ValueError(f"headers: expected HTTP header names, got {name!r}")
            if SECRET_NAME.search(name) and not _names_a_secret(value):
                raise ValueError(f"headers.{name}: {_WRITE_SECRET}")
        for name, value in self.cookies.items():
            if not _names_a_secret(value):
                raise ValueError(f"cookies.{name}: {_WRITE_SECRET}")
        if self.storage_state is not None and self.sign_in is not None:
            raise ValueError("storage_state: expected a storage-state file or a sign_in journey, not both")
        return self

    @property
    def method(self) -> str:
        """How probes sign in: ``sign_in``, ``storage_state``, ``cookies``, ``headers`` or ``none``."""
        if self.sign_in is not None:
            return "sign_in"
        if self.storage_state:
            return "storage_state"
        return "cookies" if self.cookies else ("headers" if self.headers else "none")

    def templates(self) -> tuple[str, ...]:
        texts: list[str] = [*self.headers.values(), *self.cookies.values()]
        if self.storage_state:
            texts.append(self.storage_state)
        if self.sign_in is not None:
            texts.append(self.sign_in.page)
            for step in (*self.sign_in.steps, self.sign_in.success):
                texts.extend(step.templates())
        return tuple(texts)


_WRITE_SECRET = "never write a secret in the scenario; write ${VAR} (or a {credential}) and set VAR in the environment"


def _names_a_secret(value: str) -> bool:
    """A secret's value is a reference: an environment variable, or a tenant credential (itself one)."""
    return bool(env_refs(value) or placeholders(value))


def credential_problem(name: str, value: str) -> str | None:
    """What is wrong with one tenant credential, or None: secret-like names must name a variable."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        return f"{name}: expected a lower-case name (letters, digits, _) to use as {{{name}}}"
    if name in ("tenant", "tenant_key"):
        return f"{name}: a built-in placeholder; name the credential otherwise"
    if placeholders(value):
        return f"{name}: expected a value or ${{VAR}}, not a {{placeholder}}"
    if SECRET_NAME.search(name) and not env_refs(value):
        return f"{name}: {_WRITE_SECRET}"
    return None
