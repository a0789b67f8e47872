"""``bigday install-assets``: the pinned npm assets (web-vitals, axe-core, Lighthouse) for an installed bigday."""

from __future__ import annotations

import argparse
from pathlib import Path

from bigday.errors import EXIT_OK
from bigday.probe.assets import install_assets, user_assets_dir


def _install(args: argparse.Namespace) -> int:
    folder = install_assets(args.dir)
    print(f"installed the pinned npm assets into {folder}")
    if args.dir is not None:
        print(f"point bigday at them with BIGDAY_NODE_MODULES={folder}")
    return EXIT_OK


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "install-assets",
        help="install the pinned npm assets the probe injects (needs npm; a checkout uses npm ci instead)",
    )
    p.add_argument("--dir", type=Path, metavar="DIR", help=f"where to install them (default: {user_assets_dir()})")
    p.set_defaults(handler=_install)
