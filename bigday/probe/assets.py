"""The npm assets the probe injects (web-vitals, axe-core): where they are installed, and installing them.

They come from the registry at the versions ``bigday/assets/package-lock.json`` pins, installed with ``npm ci``;
never fetched from a CDN and never copied into this repository, so the version that ran is the one the lock
file pins. Where they are looked for, in order: ``$BIGDAY_NODE_MODULES``; the ``node_modules`` of the source
checkout bigday runs from (``scripts/bootstrap.sh`` fills it); the folder ``bigday install-assets`` fills
(``~/.local/share/bigday/assets/node_modules`` unless told otherwise).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from bigday.errors import RunError
from bigday.settings import environment, resolve

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
CHECKOUT_ROOT = PACKAGE_ROOT.parent  # the source checkout, when bigday runs from one
MANIFESTS = ("package.json", "package-lock.json")
WEB_VITALS_IIFE = Path("web-vitals/dist/web-vitals.attribution.iife.js")
AXE_MIN = Path("axe-core/axe.min.js")
NPM_TIMEOUT_S = 900


class AssetMissing(RunError):
    """An npm asset the probe injects is not installed."""


def user_assets_dir() -> Path:
    """Where ``bigday install-assets`` puts the assets by default."""
    return Path.home() / ".local" / "share" / "bigday" / "assets"


def _in_checkout() -> bool:
    return (CHECKOUT_ROOT / "pyproject.toml").is_file() and (CHECKOUT_ROOT / "package-lock.json").is_file()


def node_modules() -> Path:
    """The folder the assets are read from (see the module docstring for the order)."""
    given = resolve.node_modules()
    if given is not None:
        return given
    if _in_checkout() and (CHECKOUT_ROOT / "node_modules").is_dir():
        return CHECKOUT_ROOT / "node_modules"
    return user_assets_dir() / "node_modules"


def _read(relative: Path, package: str) -> str:
    path = node_modules() / relative
    how = "`npm ci` in the checkout" if _in_checkout() else "`bigday install-assets`"
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AssetMissing(
            f"{path}: missing; install the pinned npm assets with {how} "
            f"({package} is pinned in bigday's package-lock.json), or point BIGDAY_NODE_MODULES at them"
        ) from None
    except OSError as e:
        raise AssetMissing(f"{path}: cannot read {package}: {e.strerror}") from None


def package_version(package: str) -> str:
    """The installed version of an npm package, from its package.json."""
    data = json.loads(_read(Path(package) / "package.json", package))
    return str(data.get("version", "unknown"))


@dataclass(frozen=True)
class ProbeAssets:
    """The scripts injected into the page and the versions that ran."""

    web_vitals_source: str
    web_vitals_version: str
    axe_source: str
    axe_version: str


@lru_cache(maxsize=4)
def _load(root: str) -> ProbeAssets:
    del root  # part of the cache key only: a different node_modules is a different set of assets
    return ProbeAssets(
        web_vitals_source=_read(WEB_VITALS_IIFE, "web-vitals"),
        web_vitals_version=package_version("web-vitals"),
        axe_source=_read(AXE_MIN, "axe-core"),
        axe_version=package_version("axe-core"),
    )


def load_assets() -> ProbeAssets:
    """Read web-vitals' attribution IIFE build and axe-core; AssetMissing says how to install them."""
    return _load(str(node_modules()))


def install_assets(target: Path | None = None) -> Path:
    """``npm ci`` of bigday's pinned lock file into ``target`` (default: the user folder); its node_modules."""
    folder = (target or user_assets_dir()).expanduser().absolute()
    npm = shutil.which("npm")
    if npm is None:
        raise RunError("npm not found: bigday install-assets needs Node 20 and npm on the PATH")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name in MANIFESTS:
            (folder / name).write_bytes((resources.files("bigday") / "assets" / name).read_bytes())
    except OSError as e:
        raise RunError(f"{folder}: cannot write the npm manifest there: {e.strerror}") from None
    cmd = [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"]
    env = environment.child_environment(PUPPETEER_SKIP_DOWNLOAD="1")  # Lighthouse must not fetch a browser
    try:
        done = subprocess.run(cmd, cwd=folder, env=env, capture_output=True, text=True, timeout=NPM_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise RunError(f"npm ci in {folder} did not finish within {NPM_TIMEOUT_S} s") from None
    if done.returncode != 0:
        reason = (done.stderr.strip() or done.stdout.strip() or f"exit {done.returncode}").splitlines()[-1]
        raise RunError(f"npm ci in {folder} failed: {reason}")
    _load.cache_clear()
    return folder / "node_modules"
