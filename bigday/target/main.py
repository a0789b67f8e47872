"""The reference target's process entry: ``python -m bigday.target`` and ``bigday target`` share these flags."""

from __future__ import annotations

import argparse
import os
import socket
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from bigday.errors import EXIT_USAGE, BigdayError, ConfigError
from bigday.settings.scenario import parse_size_bytes
from bigday.target.helpers import DEFAULT_CPU_SHARE
from bigday.target.knobs import DEFAULT_RUM_ENDPOINT, KNOB_SPECS, Knobs, knobs_from_env, parse_knob
from bigday.target.pools import ISOLATION_MODES
from bigday.target.server import MIN_CPU_SHARE, TargetConfig, serve


def _bounded_int(lo: int, hi: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        if not raw.strip().isdigit() or not lo <= int(raw) <= hi:
            raise argparse.ArgumentTypeError(f"expected a whole number in {lo}..{hi}, got {raw!r}")
        return int(raw)

    return parse


def _size(raw: str) -> int:
    try:
        value = parse_size_bytes(raw)
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"expected {e}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive size, got {raw!r}")
    return value


def _cpu_share(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not MIN_CPU_SHARE <= value <= 1:
        raise argparse.ArgumentTypeError(f"expected a share of one core from {MIN_CPU_SHARE:g} to 1, got {raw!r}")
    return value


def _knob_type(name: str) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        try:
            return parse_knob(name, raw, where="flag")
        except ConfigError as e:
            raise argparse.ArgumentTypeError(str(e).removeprefix(f"flag {name}: ")) from None

    return parse


def add_target_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1", help="loopback address to serve on (default 127.0.0.1)")
    p.add_argument("--port", type=_bounded_int(0, 65535), default=0, help="port (default 0: a free port)")
    p.add_argument(
        "--isolation",
        choices=ISOLATION_MODES,
        default="fair",
        help="fair: a worker pool per tenant; shared: one FIFO pool for all (default fair)",
    )
    p.add_argument(
        "--workers",
        type=_bounded_int(1, 64),
        default=1,
        help="worker threads per pool (shared: this × tenants in one pool; default 1)",
    )
    p.add_argument(
        "--queue-limit",
        type=_bounded_int(1, 100_000),
        default=16,
        help="jobs one tenant may have queued or running before 503 + Retry-After (default 16)",
    )
    p.add_argument(
        "--upload-limit",
        type=_size,
        default=20_000_000,
        metavar="SIZE",
        help="largest accepted photo upload, e.g. 20MB (default 20MB)",
    )
    p.add_argument(
        "--upload-cpu-share",
        type=_cpu_share,
        default=DEFAULT_CPU_SHARE,
        metavar="SHARE",
        help="share of one core each upload helper may spend on image work, averaged over its "
        f"jobs ({MIN_CPU_SHARE:g}..1; default {DEFAULT_CPU_SHARE:g})",
    )
    p.add_argument("--scenario", "-s", metavar="FILE", help="scenario whose tenants to serve (default wedsync.yaml)")
    p.add_argument(
        "--rum-endpoint",
        default=DEFAULT_RUM_ENDPOINT,
        metavar="URL",
        help="the collector the field-beacon snippet sends to when the rum knob is on (bigday collect; "
        f"default {DEFAULT_RUM_ENDPOINT}; loopback only)",
    )
    knobs = p.add_argument_group("fault knobs (also BIGDAY_TARGET_<KNOB>; a request's query string wins)")
    for spec in KNOB_SPECS:
        knobs.add_argument(
            f"--{spec.name.replace('_', '-')}",
            dest=f"knob_{spec.name}",
            type=_knob_type(spec.name),
            metavar="N",
            help=f"{spec.help} (default {spec.default})",
        )
    # Used by running_target: the listening socket it bound, and its own pid to stop with it.
    p.add_argument("--fd", type=int, help=argparse.SUPPRESS)
    p.add_argument("--parent-pid", type=int, help=argparse.SUPPRESS)


def config_from_args(args: argparse.Namespace, environ: dict[str, str] | None = None) -> TargetConfig:
    """Flags over BIGDAY_TARGET_* environment variables over defaults."""
    knobs = knobs_from_env(os.environ if environ is None else environ, Knobs())
    flags = {s.name: getattr(args, f"knob_{s.name}") for s in KNOB_SPECS if getattr(args, f"knob_{s.name}") is not None}
    return TargetConfig(
        host=args.host,
        port=args.port,
        isolation=args.isolation,
        workers=args.workers,
        queue_limit=args.queue_limit,
        upload_limit_bytes=args.upload_limit,
        upload_cpu_share=args.upload_cpu_share,
        scenario=Path(args.scenario) if args.scenario else None,
        knobs=replace(knobs, **flags),
        rum_endpoint=args.rum_endpoint,
    )


def run_target(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    sock = None
    if args.fd is not None:
        try:
            sock = socket.socket(fileno=args.fd)
        except OSError as e:
            raise ConfigError(f"--fd {args.fd}: not a listening socket: {e.strerror}") from None
    return serve(config, sock=sock, parent_pid=args.parent_pid)


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad flag in one line and exits 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m bigday.target``: the same flags as ``bigday target``, without loading the other verbs."""
    parser = _Parser(prog="bigday target", description="Serve the embedded reference target.")
    add_target_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return run_target(args)
    except BigdayError as e:
        print(f"bigday target: error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        return 0
