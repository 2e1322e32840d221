"""uvicorn's HTTP protocol with ``TCP_NODELAY`` on every connection (``roadcam serve``).

With ``--workers N`` (N > 1) uvicorn binds the listening socket itself as
``socket.socket(family)``, whose ``proto`` is 0; asyncio sets ``TCP_NODELAY`` on accepted
connections only when ``proto`` is ``IPPROTO_TCP``, so every connection of a multi-worker
server ran with Nagle's algorithm. A response written in two parts (headers, then body)
then waited for the client's delayed ACK: about 40 ms added to every keep-alive request
(measured: one defect by id p50 6 ms with 1 worker, 52 ms with 2, at 1,000,000 defects).
This protocol sets the option itself, whatever the socket.
"""

from __future__ import annotations

import asyncio
import socket

try:  # the protocol uvicorn's "auto" picks
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as _Base
except ImportError:  # httptools is optional
    from uvicorn.protocols.http.h11_impl import H11Protocol as _Base  # type: ignore[assignment]


def set_nodelay(transport: asyncio.BaseTransport) -> bool:
    """Turn Nagle's algorithm off on the transport's TCP socket; False when it is not TCP."""
    sock = transport.get_extra_info("socket")
    if sock is None or sock.family not in (socket.AF_INET, socket.AF_INET6):
        return False
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except OSError:
        return False
    return True


class NoDelayHTTPProtocol(_Base):  # type: ignore[misc, valid-type]
    """uvicorn's HTTP protocol, with TCP_NODELAY set when a connection is made."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        set_nodelay(transport)
        super().connection_made(transport)
