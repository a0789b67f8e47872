"""The npm assets the probe injects (web-vitals, axe-core), and installing bigday's pinned assets.

Where they are found is ``bigday.settings.assets``'s to say (the dashboard reads ECharts from the same place);
installing runs ``npm ci`` of the lock file bigday ships.
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
from bigday.settings import environment
from bigday.settings.assets import CHECKOUT_ROOT, AssetMissing, node_modules, read_asset, user_assets_dir

MANIFESTS = ("package.json", "package-lock.json")
WEB_VITALS_IIFE = Path("web-vitals/dist/web-vitals.attribution.iife.js")
AXE_MIN = Path("axe-core/axe.min.js")
NPM_TIMEOUT_S = 900


def package_version(package: str) -> str:
    """The installed version of an npm package, from its package.json."""
    data = json.loads(read_asset(Path(package) / "package.json", package))
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
        web_vitals_source=read_asset(WEB_VITALS_IIFE, "web-vitals"),
        web_vitals_version=package_version("web-vitals"),
        axe_source=read_asset(AXE_MIN, "axe-core"),
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


__all__ = [
    "CHECKOUT_ROOT",
    "AssetMissing",
    "ProbeAssets",
    "install_assets",
    "load_assets",
    "node_modules",
    "package_version",
    "user_assets_dir",
]
