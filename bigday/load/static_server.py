"""A fixed-response HTTP/1.1 server on loopback: the yardstick endpoint for harness-overhead measurements.

It answers every request (any method, any path, any body) with the same small response, 200 OK (201
Created to a POST, as an app answers an upload), and keeps the connection alive, so the load generator, not
the server, is the bottleneck.  Pure asyncio, no framework.  ``GET /__count`` answers with the number of
requests served so far, so a benchmark can measure a steady window from the server's side, the same way for
any client.

Run: ``python -m bigday.load.static_server [PORT]``; it prints ``listening on http://127.0.0.1:PORT``.
"""

from __future__ import annotations

import asyncio
import sys

_BODY = b'{"ok":true}'
_RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
    + str(len(_BODY)).encode()
    + b"\r\nConnection: keep-alive\r\n\r\n"
    + _BODY
)


_CREATED = _RESPONSE.replace(b"200 OK", b"201 Created", 1)


class _Served:
    """How many requests one server has answered, shared by its connections."""

    def __init__(self) -> None:
        self.count = 0

    def response(self) -> bytes:
        body = str(self.count).encode()
        return b"HTTP/1.1 200 OK\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body


class _FixedResponse(asyncio.Protocol):
    """Parses just enough HTTP (header end, Content-Length) to answer each pipelined request once."""

    def __init__(self, served: _Served) -> None:
        self.served = served
        self.buffer = bytearray()
        self.body_left = 0
        self.answer = _RESPONSE  # for the request whose body is being read
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        out = []
        while True:
            if self.body_left:
                take = min(self.body_left, len(self.buffer))
                del self.buffer[:take]
                self.body_left -= take
                if self.body_left:
                    break
                out.append(self.answer)
                self.served.count += 1
                continue
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                break
            head = bytes(self.buffer[:end]).lower()
            del self.buffer[: end + 4]
            length = 0
            marker = head.find(b"content-length:")
            if marker >= 0:
                line_end = head.find(b"\r\n", marker)
                length = int(head[marker + 15 : line_end if line_end >= 0 else None].strip() or 0)
            answer = _CREATED if head.startswith(b"post ") else _RESPONSE
            if length:
                self.body_left = length
                self.answer = answer
                continue
            if head.startswith(b"get /__count "):
                out.append(self.served.response())
                continue
            out.append(answer)
            self.served.count += 1
        if out and self.transport is not None:
            self.transport.write(b"".join(out))


async def serve(port: int = 0) -> None:
    loop = asyncio.get_running_loop()
    served = _Served()
    server = await loop.create_server(lambda: _FixedResponse(served), "127.0.0.1", port, backlog=4096)
    bound = server.sockets[0].getsockname()[1]
    print(f"listening on http://127.0.0.1:{bound}", flush=True)
    async with server:
        await server.serve_forever()


def main() -> None:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    try:
        asyncio.run(serve(port))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
