"""``bigday install-assets``: the pinned npm assets (web-vitals, axe-core, Lighthouse) for an installed bigday."""

from __future__ import annotations

import argparse
from pathlib import Path

from bigday.cli.common import Subparsers, add_verb
from bigday.errors import EXIT_OK
from bigday.probe.assets import install_assets, user_assets_dir


def _install(args: argparse.Namespace) -> int:
    folder = install_assets(args.dir)
    print(f"installed the pinned npm assets into {folder}")
    if args.dir is not None:
        print(f"point bigday at them with BIGDAY_NODE_MODULES={folder}")
    return EXIT_OK


def register(sub: Subparsers) -> None:
    p = add_verb(
        sub,
        "install-assets",
        _install,
    )
    p.add_argument("--dir", type=Path, metavar="DIR", help=f"where to install them (default: {user_assets_dir()})")
