"""``bigday collect``: the field-beacon collector alone (``POST /rum``, its preflight, ``/rum/rum.js``).

The same routes and group commit as ``bigday serve``'s, without the dashboard: for a host that should face
the app's visitors and hold no dashboard tokens (docs/rum.md).
"""

from __future__ import annotations

import argparse

from bigday.cli.common import Subparsers, add_verb, scenario_from_args
from bigday.cli.serve import add_listen_options, check_port, run_server
from bigday.cli.store import store_from_args
from bigday.errors import EXIT_OK, ConfigError

PLAIN_HTTP = "pages served over https cannot send beacons to plain http, so put a TLS proxy in front"


def _collect(args: argparse.Namespace) -> int:
    from bigday.serve.collector import collector_app

    check_port(args.port)
    scenario = scenario_from_args(args)
    if not scenario.rum.sites:
        # Judged before the store is opened: a collector without sites would refuse every beacon with 403.
        raise ConfigError(
            f"{scenario.source}: rum.sites is empty, so every beacon would be refused; "
            "add a site with its tenant, key and origins (docs/rum.md)"
        )
    with store_from_args(args) as store:
        run_server(
            collector_app(store, scenario.rum), args.host, args.port, "bigday collect", store.display_url, PLAIN_HTTP
        )
    return EXIT_OK


def register(sub: Subparsers) -> None:
    p = add_verb(
        sub,
        "collect",
        _collect,
        description="Serve the field-beacon collector alone: POST /rum (validated, rate-limited, answered 204 "
        "once committed to the store), its CORS preflight, GET /rum/rum.js for the snippet, and /healthz; "
        "the sites, limits and retention come from the scenario's rum section. 'bigday serve' hosts the same "
        "collector beside the dashboard. See docs/rum.md.",
    )
    add_listen_options(p)
