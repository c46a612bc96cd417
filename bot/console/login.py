"""Logging in with a one-time link or the password, the login help, logging out, and the
sessions list.

The link opens a page with a button: the link is spent only by that POST, so a chat app or a
browser that fetches links ahead (previews, prefetch) cannot use it up. The password form
(when CONSOLE_PASSWORD_HASH is set) is on the login help page. Attempts, links and passwords
together, are limited per address (LOGIN_ATTEMPTS per LOGIN_WINDOW seconds).
"""

from __future__ import annotations

import time
from collections import defaultdict, deque
from typing import NoReturn

from aiohttp import web

from bot.console.render import CONSOLE, SESSION, error_page, render
from bot.core import texts
from bot.core.console_auth import OWNER, SESSION_TTL, NewSession, secure_cookies

COOKIE = "console_session"
LOGIN_ATTEMPTS = 10
LOGIN_WINDOW = 300.0
ANY_ROLE_PATHS = ("/logout",)  # changes a read-only operator may make (their own session)
LIMITER = web.AppKey("console.login_limiter", "LoginLimiter")


class LoginLimiter:
    def __init__(self, attempts: int = LOGIN_ATTEMPTS, window: float = LOGIN_WINDOW) -> None:
        self.attempts, self.window = attempts, window
        self._seen: defaultdict[str, deque[float]] = defaultdict(deque)

    def allow(self, address: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        recent = self._seen[address]
        while recent and now - recent[0] > self.window:
            recent.popleft()
        if len(recent) >= self.attempts:
            return False
        recent.append(now)
        if len(self._seen) > 10_000:  # bound the memory: forget quiet addresses
            for key in [k for k, v in self._seen.items() if not v]:
                del self._seen[key]
        return True


def add_routes(app: web.Application) -> None:
    app[LIMITER] = LoginLimiter()
    app.router.add_get("/login-help", login_help)
    app.router.add_post("/login-password", password_submit)
    app.router.add_get("/login/{token}", login_page)
    app.router.add_post("/login/{token}", login_submit)
    app.router.add_post("/logout", logout)
    app.router.add_get("/sessions", sessions)
    app.router.add_post("/sessions/{id:\\d+}/revoke", revoke)


async def login_help(request: web.Request) -> web.Response:
    return _help(request)


def _help(request: web.Request, status: int = 200, failed: bool = False) -> web.Response:
    password = request.app[CONSOLE].auth.password_login
    return render(request, "login_help.html", status=status, password=password, failed=failed)


async def password_submit(request: web.Request) -> web.StreamResponse:
    console = request.app[CONSOLE]
    if not console.auth.password_login:
        return error_page(request, 404, texts.CONSOLE_UI["not_found"])
    address = request.remote or ""
    if not request.app[LIMITER].allow(address):
        return error_page(request, 429, texts.CONSOLE_UI["login_limited"])
    password = str((await request.post()).get("password", ""))
    new = await console.auth.redeem_password(password, request.headers.get("User-Agent", ""),
                                             address)  # fmt: skip
    if new is None:
        return _help(request, status=403, failed=True)
    _signed_in(request, new)


async def login_page(request: web.Request) -> web.Response:
    return render(request, "login.html", token=request.match_info["token"], failed=False)


async def login_submit(request: web.Request) -> web.StreamResponse:
    console = request.app[CONSOLE]
    address = request.remote or ""
    if not request.app[LIMITER].allow(address):
        return error_page(request, 429, texts.CONSOLE_UI["login_limited"])
    token = request.match_info["token"]
    new = await console.auth.redeem(token, request.headers.get("User-Agent", ""), address)
    if new is None:
        return render(request, "login.html", status=403, token=token, failed=True)
    _signed_in(request, new)


def _signed_in(request: web.Request, new: NewSession) -> NoReturn:
    response = web.HTTPSeeOther("/")
    response.set_cookie(
        COOKIE, new.secret, max_age=int(SESSION_TTL), httponly=True, samesite="Strict",
        secure=secure_cookies(request.app[CONSOLE].services.settings), path="/",
    )  # fmt: skip
    raise response


async def logout(request: web.Request) -> web.StreamResponse:
    console = request.app[CONSOLE]
    session = request[SESSION]
    await console.auth.revoke(session.id, session.identity)
    await console.auth.audit(session.identity, "logout", f"session:{session.id}")
    response = web.HTTPSeeOther("/login-help?done=logged_out")
    response.del_cookie(COOKIE, path="/")
    raise response


async def sessions(request: web.Request) -> web.Response:
    console = request.app[CONSOLE]
    session = request[SESSION]
    everyone = await console.auth.sessions()
    shown = everyone if session.role == OWNER else [s for s in everyone
                                                     if s.identity == session.identity]  # fmt: skip
    changes = await console.auth.audit_where("session:", limit=20)
    return render(request, "sessions.html", sessions=shown, changes=changes, nav="sessions")


async def revoke(request: web.Request) -> web.StreamResponse:
    console = request.app[CONSOLE]
    session = request[SESSION]
    target = int(request.match_info["id"])
    mine = any(s.id == target and s.identity == session.identity
               for s in await console.auth.sessions())  # fmt: skip
    if session.role != OWNER and not mine:
        return error_page(request, 403, texts.CONSOLE_UI["forbidden"])
    await console.auth.revoke(target, session.identity)
    raise web.HTTPSeeOther("/sessions?done=revoked")
