"""用户与群组: every identity seen, its usage and limits; allow, deny and quotas with the same
effect as /allow, /deny and /quota (the same AccessControl the platforms use)."""

from __future__ import annotations

from urllib.parse import urlencode

from aiohttp import web

from bot.console import queries
from bot.console.render import CONSOLE, SESSION, error_page, render
from bot.core import identity, texts
from bot.core.access import QUOTA_KINDS, AccessControl
from bot.core.config import Settings
from bot.core.console_auth import ADMIN, OWNER, READONLY, NoConsoleRole

PAGE = 50
GRANTABLE = (ADMIN, READONLY)  # owners are BOT_ADMIN_IDS: nobody is made one here


def add_routes(app: web.Application) -> None:
    app.router.add_get("/users", user_list)
    app.router.add_post("/users/access", set_access)
    app.router.add_post("/users/quota", set_quota)
    app.router.add_post("/users/role", set_role)
    app.router.add_post("/users/link", make_link)


async def user_list(request: web.Request, new_link: str = "",
                    status: int = 200) -> web.Response:  # fmt: skip
    console = request.app[CONSOLE]
    access = console.access
    q = request.query
    wanted = q.get("q", "").strip()
    try:
        only = identity.parse(wanted) if wanted else None
    except ValueError:
        only = None
    offset = int(q["offset"]) if q.get("offset", "").isdecimal() else 0
    seen, more = await queries.identities(console.services.db, access.today(), only,
                                          offset=min(offset, 10**7), limit=PAGE)  # fmt: skip
    listed = await access.access_list.all()
    roles = await console.auth.store.roles()
    # One read for the page's quota overrides, not two per row.
    overrides = await access.overrides.of_many([s.ident for s in seen if s.ident > 0])
    rows = []
    for entry in seen:
        ident = entry.ident
        rows.append({
            "seen": entry, "admin": access.is_admin(ident),
            "allowed": access.is_allowed(ident, None) if ident > 0
            else access.is_allowed(0, ident),
            "listed": listed.get(ident),
            "limits": access.limits_with(ident, overrides.get(ident, {})) if ident > 0
            else None,
            "overrides": overrides.get(ident, {}),
            "role": roles.get(ident, ""),
            "source": _why(console.services.settings, access, ident, listed.get(ident)),
        })  # fmt: skip
    changes = await console.auth.audit_where("identity:", limit=20)
    return render(
        request, "users.html", status=status, nav="users", rows=rows, more=more,
        offset=offset, page=PAGE, wanted=wanted, bad_query=bool(wanted) and only is None,
        kinds=QUOTA_KINDS, changes=changes, display=identity.display,
        grantable=GRANTABLE, new_link=new_link, owner=request[SESSION].role == OWNER,
    )  # fmt: skip


def _why(settings: Settings, access: AccessControl, ident: int, listed: bool | None) -> str:
    """Why the identity may or may not use the bot (the page names the rule that decides)."""
    ui = texts.CONSOLE_UI
    if access.is_admin(ident):
        return ui["source_admin"]
    if listed is not None:
        return ui["source_listed_allow"] if listed else ui["source_listed_deny"]
    if ident in settings.bot_allowed_ids:
        return ui["source_config"]
    return ui["source_public"] if access.public else ui["not_listed"]


def _back(target: int, key: str, **values: object) -> web.HTTPSeeOther:
    query = urlencode({"done": key, "target": identity.display(target), **values})
    return web.HTTPSeeOther(f"/users?{query}")


async def _target(request: web.Request) -> tuple[int | None, dict[str, str]]:
    form = {k: str(v) for k, v in (await request.post()).items()}
    try:
        target = identity.parse(form.get("target", ""))
    except ValueError:
        return None, form
    return (target or None), form


async def set_access(request: web.Request) -> web.StreamResponse:
    console = request.app[CONSOLE]
    session = request[SESSION]
    target, form = await _target(request)
    allowed = form.get("allowed") == "1"
    if target is None or form.get("allowed") not in ("0", "1"):
        return error_page(request, 400, texts.CONSOLE_UI["bad_input"])
    if not allowed and console.access.is_admin(target):
        raise _back(target, "cannot_deny_admin")
    await console.access.set_allowed(target, allowed, session.identity)
    action = "allow" if allowed else "deny"
    await console.auth.audit(session.identity, action, f"identity:{identity.display(target)}")
    raise _back(target, "allowed" if allowed else "denied")


async def set_quota(request: web.Request) -> web.StreamResponse:
    console = request.app[CONSOLE]
    session = request[SESSION]
    target, form = await _target(request)
    kind = form.get("kind", "")
    raw = form.get("value", "").strip()
    if target is None or target < 0 or kind not in QUOTA_KINDS or (raw and not (
            raw.isdecimal() and len(raw) < 10)):  # fmt: skip
        return error_page(request, 400, texts.CONSOLE_UI["bad_input"])
    value = int(raw) if raw else None
    await console.access.set_quota(target, kind, value)
    name = texts.QUOTA_KIND_NAMES[kind]
    await console.auth.audit(session.identity, "quota", f"identity:{identity.display(target)}",
                             f"{name} = {raw or texts.CONSOLE_UI['quota_default']}")  # fmt: skip
    if value is None:
        raise _back(target, "quota_reset", name=name, value=console.access.default_limits()[kind])
    raise _back(target, "quota_set", name=name, value=value)


async def set_role(request: web.Request) -> web.StreamResponse:
    """Owners only: make a user a console 管理员 or 只读 operator, or take the role away."""
    console = request.app[CONSOLE]
    session = request[SESSION]
    if session.role != OWNER:
        return error_page(request, 403, texts.CONSOLE_UI["forbidden"])
    target, form = await _target(request)
    role = form.get("role", "")
    if target is None or target < 0 or role not in ("", *GRANTABLE):
        return error_page(request, 400, texts.CONSOLE_UI["bad_input"])
    if console.access.is_admin(target):
        raise _back(target, "role_admin")
    await console.auth.set_role(target, role or None, session.identity)
    names = texts.CONSOLE_ROLE_NAMES
    raise _back(target, "role_set", role=names.get(role, texts.CONSOLE_UI["no_role"]))


async def make_link(request: web.Request) -> web.StreamResponse:
    """Owners only: a one-time login link for an operator who holds a role (to pass on to
    them privately); shown once on the page, never put in a URL."""
    console = request.app[CONSOLE]
    session = request[SESSION]
    if session.role != OWNER:
        return error_page(request, 403, texts.CONSOLE_UI["forbidden"])
    target, _ = await _target(request)
    if target is None or target < 0:
        return error_page(request, 400, texts.CONSOLE_UI["bad_input"])
    try:
        url = await console.auth.issue_login_link(target)
    except NoConsoleRole:
        return error_page(request, 400, texts.CONSOLE_UI["no_role_no_link"])
    await console.auth.audit(session.identity, "link", f"identity:{identity.display(target)}")
    return await user_list(request, new_link=url)
