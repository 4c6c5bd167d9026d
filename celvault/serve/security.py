"""Who may talk to the app: the token (when set), the Host (against DNS rebinding), and the
cross-site checks on state-changing requests (POST only, a custom header, a same-origin Origin)."""

from __future__ import annotations

import hmac
from urllib.parse import urlencode, urlsplit

from starlette.middleware.base import BaseHTTPMiddleware
from starlette.responses import JSONResponse, RedirectResponse

COOKIE = "celvault_token"
CSRF_HEADER = "x-celvault"
SAFE_METHODS = {"GET", "HEAD"}
LOCAL_HOSTS = ("127.0.0.1", "localhost", "[::1]", "::1")

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; "
                               "script-src 'self'; object-src 'none'; frame-ancestors 'none'",
}


def _same(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(a.encode(), b.encode())


def _refuse(status: int, text: str) -> JSONResponse:
    return JSONResponse({"error": text}, status_code=status, headers=HEADERS)


class Guard(BaseHTTPMiddleware):
    def __init__(self, app, token: str | None, hosts: tuple[str, ...] | None):
        super().__init__(app)
        self.token = token
        self.hosts = {h.lower() for h in hosts} if hosts else None

    async def dispatch(self, request, call_next):
        host = request.headers.get("host", "")
        name = host.rsplit(":", 1)[0].lower() if not host.endswith("]") else host.lower()
        if self.hosts is not None and name not in self.hosts:
            return _refuse(403, f"unexpected Host {host[:80]!r}")
        if self.token is not None:
            given = request.query_params.get("token")
            if given is not None and request.method in SAFE_METHODS:
                if not _same(given, self.token):
                    return _refuse(401, "wrong token")
                rest = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
                target = request.url.path + ("?" + urlencode(rest) if rest else "")
                reply = RedirectResponse(target, status_code=303)
                reply.set_cookie(COOKIE, self.token, httponly=True, samesite="strict")
                return reply
            auth = request.headers.get("authorization", "")
            bearer = auth[7:] if auth.lower().startswith("bearer ") else None
            if not (_same(bearer, self.token) or _same(request.cookies.get(COOKIE), self.token)):
                return _refuse(401, "this app needs its token: open the URL `celvault serve` printed, "
                                    "or send Authorization: Bearer TOKEN")
        if request.method not in SAFE_METHODS:
            if request.method != "POST":
                return _refuse(405, "only GET and POST")
            if request.headers.get(CSRF_HEADER) != "1":
                return _refuse(403, "state-changing requests need the header X-Celvault: 1")
            origin = request.headers.get("origin")
            if origin and origin != "null" and urlsplit(origin).netloc.lower() != host.lower():
                return _refuse(403, f"cross-site request from {origin[:80]!r} refused")
            if origin == "null":
                return _refuse(403, "cross-site request from an opaque origin refused")
        response = await call_next(request)
        for key, value in HEADERS.items():
            response.headers.setdefault(key, value)
        return response
