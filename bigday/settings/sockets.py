"""A listening socket for the servers bigday starts itself (the reference target, ``bigday serve``).

Bound before the server starts, so a port in use is one line at once, and port 0 names the port it got.
"""

from __future__ import annotations

import socket

from bigday.errors import RunError


def listen(host: str, port: int, backlog: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as e:
        sock.close()
        raise RunError(f"cannot listen on {host}:{port}: {e.strerror}") from None
    sock.listen(backlog)
    return sock
