"""Child processes die with their parent, SIGKILL included.

Linux's ``PR_SET_PDEATHSIG`` asks the kernel to signal a process when the one that started it ends, however
it ends: a ``bigday load`` killed with SIGKILL can clean nothing up itself, so its Locust master, the Locust
workers the master forks and the embedded target must each have asked beforehand. ``die_with_parent`` is
that request, made in the child: before ``exec`` (``preexec``, for ``subprocess.Popen``) or right after a
fork (``die_with_parent_after_fork``, for processes that fork their own workers).

The signal follows the *thread* that started the child: bigday starts its children from the main thread.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections.abc import Callable

_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int | None = None, sig: int = signal.SIGKILL) -> None:
    """In a child: be sent ``sig`` when the parent ends; exit at once if ``parent`` has already ended."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
    except (OSError, AttributeError):
        return
    # The parent may have died between the fork and the request: then nobody is left to signal us.
    if parent is not None and os.getppid() != parent:
        os._exit(1)


def preexec() -> Callable[[], None]:
    """A ``preexec_fn`` for ``subprocess.Popen`` that makes the child die with this process."""
    me = os.getpid()
    return lambda: die_with_parent(me)


_forking: list[int] = []


def die_with_parent_after_fork() -> None:
    """Every process this one forks from now on (Locust's ``--processes`` workers) dies with it."""
    os.register_at_fork(
        before=lambda: _forking.append(os.getpid()),
        after_in_parent=lambda: _forking.clear(),
        after_in_child=lambda: die_with_parent(_forking.pop() if _forking else None),
    )
