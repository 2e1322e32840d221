"""`roadcam serve` turns Nagle's algorithm off on every connection, also on the socket uvicorn
binds itself for several workers (proto 0, where asyncio leaves TCP_NODELAY unset)."""

from __future__ import annotations

import asyncio
import socket

from pipeline.serve_tcp import NoDelayHTTPProtocol, set_nodelay


def test_connections_of_a_proto_0_socket_get_tcp_nodelay():
    async def scenario() -> tuple[int, int, bool]:
        listener = socket.socket(family=socket.AF_INET)  # as uvicorn's Config.bind_socket
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        made: asyncio.Future = asyncio.get_running_loop().create_future()

        class Capture(asyncio.Protocol):
            def connection_made(self, transport):
                made.set_result(transport)

        server = await asyncio.get_running_loop().create_server(Capture, sock=listener)
        _, writer = await asyncio.open_connection(*listener.getsockname())
        transport = await asyncio.wait_for(made, 10)
        sock = transport.get_extra_info("socket")
        before = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        ok = set_nodelay(transport)
        after = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        writer.close()
        transport.close()
        server.close()
        await server.wait_closed()
        return before, after, ok

    before, after, ok = asyncio.run(scenario())
    assert before == 0  # what uvicorn's multi-worker connections had: Nagle on
    assert ok and after != 0


def test_serve_uses_the_protocol():
    import inspect

    from pipeline.commands import serve

    assert "http=NoDelayHTTPProtocol" in inspect.getsource(serve.run)
    assert hasattr(NoDelayHTTPProtocol, "connection_made")
