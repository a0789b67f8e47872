"""``bigday serve``: the dashboard live from the store; ``bigday serve token add|list|revoke``: its tokens."""

from __future__ import annotations

import argparse
import getpass
import signal
import sys
from typing import Any

from bigday.cli.common import Subparsers, add_scenario_option, add_verb, scenario_from_args
from bigday.cli.store import add_store_option, store_from_args
from bigday.errors import EXIT_OK, ConfigError
from bigday.present.console import plain
from bigday.settings import sockets

LOOPBACK = ("127.0.0.1", "localhost", "::1")
TOKENS_IN_CLEAR = "tokens travel in clear over plain HTTP, so put a TLS proxy in front"


def _serve(args: argparse.Namespace) -> int:
    from bigday.serve.app import build_app

    check_port(args.port)
    scenario = scenario_from_args(args)
    with store_from_args(args) as store:
        run_server(build_app(store, scenario), args.host, args.port, "bigday serve", store.display_url)
    return EXIT_OK


def check_port(port: int) -> None:
    if not 0 <= port <= 65535:
        raise ConfigError(f"--port: expected 0..65535, got {port}")


def run_server(app: Any, host: str, port: int, name: str, store_url: str, exposed: str = TOKENS_IN_CLEAR) -> None:
    """Serve ``app`` on ``host:port`` until SIGINT or SIGTERM; the first line printed names the URL (port 0:
    the one it got), which is what scripts and tests wait for."""
    import uvicorn

    sock = sockets.listen(host, port, backlog=512)
    bound_host, bound_port = sock.getsockname()[:2]
    url = f"http://[{bound_host}]:{bound_port}" if ":" in bound_host else f"http://{bound_host}:{bound_port}"
    print(f"{name}: serving {url} from {plain(store_url)} (Ctrl-C stops it)", flush=True)
    if host not in LOOPBACK:
        print(
            f"{name}: warning: listening beyond loopback; {exposed}",
            file=sys.stderr,
            flush=True,
        )
    config = uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=3, lifespan="off")
    server = uvicorn.Server(config)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: None)  # uvicorn re-raises the signal it handled; a stop is exit 0
    server.run(sockets=[sock])


def _tokens(args: argparse.Namespace) -> int:
    from bigday.serve import tokens

    by = args.by or getpass.getuser()
    with store_from_args(args) as store:
        if args.token_action == "add":
            scenario = scenario_from_args(args)
            token_id, token = tokens.add_token(store, args.name, args.role, by, scenario)
            print(f"token #{token_id} ({args.role}) for {plain(args.name)}; shown once, keep it:")
            print(token)
        elif args.token_action == "revoke":
            tokens.revoke_token(store, args.id, by)
            print(f"token #{args.id} revoked")
        else:
            rows = tokens.list_tokens(store)
            if not rows:
                print("no tokens; add one with 'bigday serve token add --role admin --name NAME'")
            for r in rows:
                state = f"revoked {r['revoked_at']}" if r["revoked_at"] else "active"
                print(plain(f"#{r['id']}\t{r['name']}\t{r['role']}\t{r['prefix']}...\t{state}\tby {r['created_by']}"))
    return EXIT_OK


def add_listen_options(p: argparse.ArgumentParser) -> None:
    """Where a server listens and what it reads: shared by ``bigday serve`` and ``bigday collect``."""
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8080, help="port (default 8080; 0: a free one, printed)")
    add_scenario_option(p, "$BIGDAY_SCENARIO or the bundled one")
    add_store_option(p)


def register(sub: Subparsers) -> None:
    p = add_verb(
        sub,
        "serve",
        _serve,
        description="Serve latest checks, trends, alerts (acknowledge/resolve for admin tokens), the SLA and "
        "the charts dashboard (/charts) from the store, on 127.0.0.1 unless --host says otherwise. Every route "
        "needs a token; make one with 'bigday serve token add'. See docs/monitor.md.",
    )
    add_listen_options(p)
    tsub = p.add_subparsers(dest="serve_action", metavar="ACTION", parser_class=type(p))
    t = tsub.add_parser("token", help="add, list or revoke dashboard tokens (stored hashed; audited)")
    ttsub = t.add_subparsers(dest="token_action", metavar="ACTION", required=True, parser_class=type(p))
    a = ttsub.add_parser("add", help="make a token and print it once")
    a.add_argument("--role", required=True, help="admin, or tenant:ID (read-only, that studio only)")
    a.add_argument("--name", required=True, help="who or what the token is for")
    a.add_argument("--scenario", "-s", metavar="FILE", help="scenario whose tenants a tenant:ID role must name")
    a.add_argument("--by", metavar="WHO", help="who makes it (default: the login name)")
    add_store_option(a)
    a = ttsub.add_parser("list", help="list tokens (never the tokens themselves)")
    a.add_argument("--by", metavar="WHO", help=argparse.SUPPRESS)
    add_store_option(a)
    a = ttsub.add_parser("revoke", help="revoke a token")
    a.add_argument("id", type=int)
    a.add_argument("--by", metavar="WHO", help="who revokes it (default: the login name)")
    add_store_option(a)
    t.set_defaults(handler=_tokens)
