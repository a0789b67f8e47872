#!/usr/bin/env bash
# Install everything bigday needs on a fresh Debian 12 machine (Python 3.11, Node 20, npm), then
#   bootstrap.sh run  [bigday run options]   -> the nightly check on the embedded reference target
#   bootstrap.sh test [pytest options]       -> the whole test suite (no options: a serial pass, then a parallel one)
# Safe to re-run: each step is skipped or quick when already done.
set -euo pipefail

mode="${1:-}"
case "$mode" in
  run|test) shift ;;
  *) echo "usage: scripts/bootstrap.sh run|test [options]" >&2; exit 2 ;;
esac

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
say() { printf 'bootstrap: %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    say "need root (or sudo) to run: $*"; exit 3; fi
}

apt_updated=0
apt_install() {
  if [ "$apt_updated" -eq 0 ]; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    apt_updated=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

python="${PYTHON:-python3}"
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  say "bigday needs Python >= 3.11 (set PYTHON=/path/to/python3.11)"; exit 3
fi
for tool in node npm; do
  command -v "$tool" >/dev/null || { say "bigday needs $tool (Node 20 and npm)"; exit 3; }
done

# System packages: Debian's Chromium (Playwright cannot download browsers here), and for the tests
# PostgreSQL 15 (they start a throwaway cluster of their own).
debs=()
[ -x /usr/bin/chromium ] || debs+=(chromium)
if [ "$mode" = test ] && [ ! -x /usr/lib/postgresql/15/bin/initdb ]; then debs+=(postgresql-15); fi
if [ "${#debs[@]}" -gt 0 ]; then
  say "installing Debian packages: ${debs[*]}"
  apt_install "${debs[@]}"
fi

# Python dependencies in a virtual environment.
if [ ! -x .venv/bin/python ]; then
  say "creating .venv"
  "$python" -m venv .venv
fi
stamp=.venv/.bigday-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  say "installing Python dependencies"
  .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install -q --disable-pip-version-check -e ".[dev]"
  touch "$stamp"
fi

# Pinned browser assets (web-vitals, axe-core, Lighthouse) from the lock file.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing pinned npm assets"
  PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >/dev/null
fi

export PATH="$root/.venv/bin:$PATH"
if [ "$mode" = run ]; then exec bigday run "$@"; fi
if [ "$#" -gt 0 ]; then exec python -m pytest "$@"; fi

# The whole suite in two passes. Most tests spend their time waiting on loopback servers, browsers and
# Locust, so they run on parallel workers (BIGDAY_TEST_WORKERS, default 3; with 4 the two cores were saturated
# and the pass took longer), handed out one by one; a file whose module fixture is costly (a venv, a Django
# project, probe runs) is marked xdist_group and keeps its tests on one worker. Tests whose bars are timings (marked serial) run alone first, on a machine nothing
# else of this suite is loading. Every failure of either pass fails the command.
status=0
say "serial pass: tests whose bars depend on timing, one at a time"
# A timing bar that misses once is run again after 10 s: the host under this machine is shared, and a burst of
# its work (steal time) once moved a hero's LCP by 500 ms and starved three isolation checks in a row. A
# regression misses both times; the other pass gets no reruns, since nothing in it is judged by a timing.
python -m pytest -m serial --reruns 1 --reruns-delay 10 || status=$?
say "parallel pass: the rest on ${BIGDAY_TEST_WORKERS:-3} workers"
python -m pytest -m "not serial" -n "${BIGDAY_TEST_WORKERS:-3}" --dist loadgroup || { rc=$?; [ "$status" -ne 0 ] || status=$rc; }
exit "$status"
