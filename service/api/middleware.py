"""ASGI middleware of the HTTP edge: a cap on request bodies, and HEAD answered for every GET route."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyLimitMiddleware:
    """A body over the limit (Elasticsearch's `http.max_content_length`) is refused with 413
    before it is read into memory, whether it announces its length or streams."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        received = 0
        started = refused = False

        async def counting_receive() -> Message:
            nonlocal received, refused
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes and not refused:
                # Answer now; to the app the client has gone, and what it sends is dropped.
                refused = True
                if not started:
                    await self._refuse(send)
                return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, counting_receive, guarded_send)

    async def _refuse(self, send: Send) -> None:
        body = json.dumps({"detail": f"request body is larger than {self.max_bytes} bytes"}).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})


class HeadAsGetMiddleware:
    """HEAD is GET without the body (RFC 9110): monitors and link checkers send it, and FastAPI's
    routes answer only the methods they declare."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if not message.get("more_body", False):
                    await send({"type": "http.response.body", "body": b""})
                return
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)


# The API docs (Swagger UI, ReDoc) initialise from an inline script; everything they load is
# served by kbqa itself (fastapi-offline), so 'self' is the only source they need.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'"
)


class SecurityHeadersMiddleware:
    """Every response says `nosniff` and which pages may frame it (`frame_ancestors`, a CSP
    source list); an HTML page without a policy of its own gets the docs' policy."""

    def __init__(self, app: ASGIApp, frame_ancestors: str) -> None:
        self.app = app
        self.frame_ancestors = frame_ancestors

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = self._secured(list(message.get("headers", [])))
            await send(message)

        await self.app(scope, receive, with_headers)

    def _secured(self, headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        names = {name.lower(): value for name, value in headers}
        policy = names.get(b"content-security-policy", b"").decode("latin-1")
        if not policy and names.get(b"content-type", b"").startswith(b"text/html"):
            policy = DOCS_CSP
        if "frame-ancestors" not in policy:
            policy = f"{policy}; frame-ancestors {self.frame_ancestors}".lstrip("; ")
        kept = [
            (n, v)
            for n, v in headers
            if n.lower() not in (b"content-security-policy", b"x-content-type-options")
        ]
        return [*kept, (b"content-security-policy", policy.encode()), (b"x-content-type-options", b"nosniff")]
