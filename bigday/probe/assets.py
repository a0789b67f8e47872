"""The npm assets the probe injects (web-vitals, axe-core), read from node_modules at run time.

They are installed from package-lock.json by ``npm ci`` (scripts/bootstrap.sh does it); never fetched from a
CDN and never copied into this repository, so the version that ran is the one the lock file pins.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from bigday.errors import RunError

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
WEB_VITALS_IIFE = Path("web-vitals/dist/web-vitals.attribution.iife.js")
AXE_MIN = Path("axe-core/axe.min.js")


class AssetMissing(RunError):
    """An npm asset the probe injects is not installed."""


def node_modules() -> Path:
    """Where the npm assets live: $BIGDAY_NODE_MODULES, else the repository's node_modules."""
    return Path(os.environ.get("BIGDAY_NODE_MODULES") or REPO_ROOT / "node_modules")


def _read(relative: Path, package: str) -> str:
    path = node_modules() / relative
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AssetMissing(
            f"{path}: missing; install the pinned npm assets with `npm ci` in {REPO_ROOT} "
            f"({package} is pinned in package-lock.json)"
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
