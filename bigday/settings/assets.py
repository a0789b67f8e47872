"""Where bigday's pinned npm assets are installed, and reading one of them.

They come from the registry at the versions ``bigday/assets/package-lock.json`` pins: never fetched from a CDN
and never copied into this repository, so the version that ran is the one the lock file pins.  The probe
injects web-vitals and axe-core; the dashboard inlines ECharts.  Where they are looked for, in order:
``$BIGDAY_NODE_MODULES``; the ``node_modules`` of the source checkout bigday runs from
(``scripts/bootstrap.sh`` fills it); the folder ``bigday install-assets`` fills
(``~/.local/share/bigday/assets/node_modules`` unless told otherwise).
"""

from __future__ import annotations

from pathlib import Path

from bigday.errors import RunError
from bigday.settings import resolve

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
CHECKOUT_ROOT = PACKAGE_ROOT.parent  # the source checkout, when bigday runs from one


class AssetMissing(RunError):
    """A pinned npm asset is not installed."""


def user_assets_dir() -> Path:
    """Where ``bigday install-assets`` puts the assets by default."""
    return Path.home() / ".local" / "share" / "bigday" / "assets"


def in_checkout() -> bool:
    return (CHECKOUT_ROOT / "pyproject.toml").is_file() and (CHECKOUT_ROOT / "package-lock.json").is_file()


def node_modules() -> Path:
    """The folder the assets are read from (see the module docstring for the order)."""
    given = resolve.node_modules()
    if given is not None:
        return given
    if in_checkout() and (CHECKOUT_ROOT / "node_modules").is_dir():
        return CHECKOUT_ROOT / "node_modules"
    return user_assets_dir() / "node_modules"


def read_asset(relative: Path, package: str) -> str:
    """An installed asset's text; AssetMissing says how to install it."""
    path = node_modules() / relative
    how = "`npm ci` in the checkout" if in_checkout() else "`bigday install-assets`"
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AssetMissing(
            f"{path}: missing; install the pinned npm assets with {how} "
            f"({package} is pinned in bigday's package-lock.json), or point BIGDAY_NODE_MODULES at them"
        ) from None
    except OSError as e:
        raise AssetMissing(f"{path}: cannot read {package}: {e.strerror}") from None
