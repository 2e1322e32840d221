"""Request guards applied before any route: body size, and NUL bytes anywhere in the request.

A pure ASGI middleware (no BaseHTTPMiddleware, so streaming responses and
background tasks are untouched). Bodies larger than ``settings.max_request_bytes``
answer 413; a NUL byte in the path, the query string or the body answers 422
(PostgreSQL cannot store one in text, and no roadcam value needs one); binary bodies
(multipart uploads, images) are not searched for NUL. Both
bodies follow the documented error schema (``detail``, ``kind``).
"""

from __future__ import annotations

import json
from typing import Any

NUL_MARKERS = (b"\x00", b"\\u0000")


def _has_nul(raw: bytes, percent_encoded: bool = True) -> bool:
    """A NUL byte, a JSON ``\\u0000`` escape, or (URL-encoded text) ``%00``."""
    low = raw.lower()
    return any(m in low for m in NUL_MARKERS) or (percent_encoded and b"%00" in low)


async def _send_json(send: Any, status: int, body: dict[str, Any]) -> None:
    data = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})


def _nul_error(where: str) -> dict[str, Any]:
    return {
        "detail": [{"loc": [where], "msg": "NUL bytes are not allowed", "type": "value_error"}],
        "kind": "validation",
    }


class RequestGuard:
    """Reject oversized bodies (413) and NUL bytes (422) before the app sees the request."""

    def __init__(self, app: Any, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("raw_path") or scope.get("path", "").encode("utf-8", "surrogatepass")
        if _has_nul(path) or "\x00" in scope.get("path", ""):
            await _send_json(send, 422, _nul_error("path"))
            return
        if _has_nul(scope.get("query_string", b"")):
            await _send_json(send, 422, _nul_error("query"))
            return
        too_large = {
            "detail": f"request body over {self.max_body_bytes} bytes",
            "kind": "too_large",
        }
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > self.max_body_bytes:
                await _send_json(send, 413, too_large)
                return
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                await _send_json(send, 413, too_large)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        ctype = dict(scope.get("headers", [])).get(b"content-type", b"")
        textual = not ctype or any(t in ctype for t in (b"json", b"urlencoded", b"text/"))
        if textual and _has_nul(body, percent_encoded=b"urlencoded" in ctype):
            await _send_json(send, 422, _nul_error("body"))
            return
        replayed = False

        async def replay() -> dict[str, Any]:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
