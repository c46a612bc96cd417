"""The console's security, without a browser: every route needs a session, every change a
CSRF token and a role that may change things, user text is shown as text, the media route
stays inside the media folder, links work once, and the console listens on 127.0.0.1."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import AsyncIterator
from contextlib import aclosing
from pathlib import Path

import pytest

from bot.console.app import bound_hosts, build_console_app, serve_console
from bot.core.access import AccessControl
from bot.core.console_auth import LOGIN_TTL
from bot.core.providers.base import GenerationRequest
from bot.core.services import Services
from bot.core.store.jobs import SavedFile
from tests.console_harness import RunningConsole, console_on
from tests.fakes.grsai import FakeGrsAI
from tests.fakes.telegram import FakeTelegram
from tests.harness import make_settings
from tests.process import free_port

ADMIN = 9001
READER = 4004
USER = 1001

PAGES = ["/", "/jobs", "/jobs/1", "/gallery", "/users", "/settings", "/providers", "/logs",
         "/sessions"]
NOT_PAGES = ["/media/x.png", "/thumb/1/0", "/logs/stream"]
CHANGES = ["/logout", "/jobs/1/cancel", "/jobs/1/resend", "/users/access", "/users/quota",
           "/sessions/1/revoke", "/providers/check", "/settings/public"]  # fmt: skip


@pytest.fixture
async def console(tg: FakeTelegram, grsai: FakeGrsAI, tmp_path: Path
                  ) -> AsyncIterator[RunningConsole]:  # fmt: skip
    settings = make_settings(tg, grsai, tmp_path / "data", bot_admin_ids=[ADMIN],
                             bot_public=False)  # fmt: skip
    async with console_on(settings) as running:
        yield running


async def test_every_route_without_a_session_is_refused(console: RunningConsole) -> None:
    async with console.client() as client:
        for path in PAGES:
            answer = await client.get(path)
            assert answer.status_code == 303, path
            assert answer.headers["location"] == "/login-help", path
        for path in NOT_PAGES:
            assert (await client.get(path)).status_code == 401, path
        for path in CHANGES:
            assert (await client.post(path, data={"csrf": "x"})).status_code == 401, path
        # A made-up or stale cookie is no session either.
        client.cookies.set("console_session", "made-up")
        assert (await client.get("/")).status_code == 303
        help_page = await client.get("/login-help")
        assert help_page.status_code == 200 and "/console" in help_page.text
        assert "ssh -L 8787:127.0.0.1:8787" in help_page.text


async def test_a_link_logs_in_once_and_not_after_expiry(console: RunningConsole) -> None:
    link = await console.link(ADMIN)
    async with console.client() as client:
        page = await client.get(link)  # opening the link (or a preview of it) spends nothing
        assert page.status_code == 200 and 'id="login"' in page.text
        assert page.headers["Referrer-Policy"] == "no-referrer"
        answer = await client.post(link)
        assert answer.status_code == 303 and answer.headers["location"] == "/"
        cookie = answer.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Max-Age=604800" in cookie
        assert "Secure" not in cookie  # plain http on loopback: a Secure cookie would be lost
        assert (await client.get("/")).status_code == 200
    async with console.client() as other:
        again = await other.post(link)
        assert again.status_code == 403 and "已被使用" in again.text
        assert (await other.get("/")).status_code == 303
    # A link made more than ten minutes ago is dead.
    url = await console.auth.issue_login_link(ADMIN, now=time.time() - LOGIN_TTL - 1)
    async with console.client() as late:
        answer = await late.post("/login/" + url.rsplit("/", 1)[1])
        assert answer.status_code == 403 and "过期" in answer.text
        assert (await late.get("/")).status_code == 303


async def test_secure_cookie_when_the_public_url_is_https(
    tg: FakeTelegram, grsai: FakeGrsAI, tmp_path: Path
) -> None:
    settings = make_settings(tg, grsai, tmp_path / "data", bot_admin_ids=[ADMIN],
                             console_public_url="https://console.example.com")  # fmt: skip
    services = await Services.open(settings)
    access = AccessControl(settings, services.db, services.jobs)
    running = await RunningConsole(services, access).start()
    try:
        async with running.client() as client:
            answer = await client.post(await running.link(ADMIN))
            assert "Secure" in answer.headers["set-cookie"]
    finally:
        await running.stop()
        await services.close()


async def test_logins_are_rate_limited(console: RunningConsole) -> None:
    async with console.client() as client:
        codes = [(await client.post(f"/login/wrong{n}")).status_code for n in range(12)]
    assert codes[:10] == [403] * 10 and codes[10:] == [429, 429]


async def test_changes_need_the_sessions_csrf_token(console: RunningConsole) -> None:
    client, csrf = await console.logged_in(ADMIN)
    async with aclosing(client):
        for form in ({}, {"csrf": "forged"}):
            answer = await client.post("/users/access",
                                       data={**form, "target": str(USER), "allowed": "1"})
            assert answer.status_code == 403, form
        assert not console.access.is_allowed(USER, None)
        answer = await client.post("/users/access",
                                   data={"csrf": csrf, "target": str(USER), "allowed": "1"})
        assert answer.status_code == 303
        assert console.access.is_allowed(USER, None)
        # The header works as well as the form field (scripts use it).
        answer = await client.post("/users/access", headers={"X-CSRF-Token": csrf},
                                   data={"target": str(USER), "allowed": "0"})  # fmt: skip
        assert answer.status_code == 303 and not console.access.is_allowed(USER, None)
        # Another session's token is refused.
        other, other_csrf = await console.logged_in(ADMIN)
        async with aclosing(other):
            assert other_csrf != csrf
            refused = await client.post("/users/access",
                                        data={"csrf": other_csrf, "target": "1", "allowed": "1"})
            assert refused.status_code == 403


async def test_read_only_operators_see_but_cannot_change(console: RunningConsole) -> None:
    await console.auth.set_role(READER, "readonly", ADMIN)
    client, csrf = await console.logged_in(READER)
    async with aclosing(client):
        page = await client.get("/users")
        assert page.status_code == 200 and "只读" in page.text
        answer = await client.post("/users/quota", data={"csrf": csrf, "target": str(USER),
                                                         "kind": "image", "value": "5"})
        assert answer.status_code == 403
        assert (await console.access.limits(USER))["image"] != 5
        assert (await client.post("/logout", data={"csrf": csrf})).status_code == 303
        assert (await client.get("/")).status_code == 303  # logged out


async def test_a_prompt_holding_script_is_shown_as_text(console: RunningConsole) -> None:
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    job = await console.services.jobs.create(
        request=GenerationRequest("image", evil, {"note": "<b>"}), provider="grsai",
        user_id=USER, chat_id=USER, thread_id=None, reply_to_id=None,
    )  # fmt: skip
    client, _ = await console.logged_in(ADMIN)
    async with aclosing(client):
        for path in (f"/jobs/{job.id}", "/jobs"):
            page = await client.get(path)
            assert "<script>alert" not in page.text and "<img src=x" not in page.text, path
            assert "&lt;script&gt;alert" in page.text, path
            assert "script-src 'self'" in page.headers["Content-Security-Policy"]


async def test_media_routes_refuse_paths_outside_the_media_folder(
    console: RunningConsole,
) -> None:
    media = console.services.settings.media_dir
    (media / "ok.png").write_bytes(b"\x89PNG fake")
    secret = media.parent / "secret.txt"
    secret.write_text("top secret")
    (media / "sub").mkdir()
    (media / "sub" / "link").symlink_to(secret)
    client, _ = await console.logged_in(ADMIN)
    async with aclosing(client):
        assert (await client.get("/media/ok.png")).status_code == 200
        for raw in ("/media/../secret.txt", "/media/%2e%2e/secret.txt",
                    "/media/sub/..%2f..%2fsecret.txt", "/media/%2e%2e%2fbot.sqlite3",
                    "/media/sub/link", "/media//etc/passwd", "/media/..\\secret.txt"):  # fmt: skip
            answer = await client.send(client.build_request("GET", raw))
            assert answer.status_code in (400, 404), raw
            assert "top secret" not in answer.text, raw


async def test_thumbnails_are_made_once_and_removed_files_show_as_such(
    console: RunningConsole,
) -> None:
    from PIL import Image

    media = console.services.settings.media_dir
    picture = media / "result.png"
    Image.new("RGB", (1200, 800), (200, 40, 40)).save(picture)
    job = await console.services.jobs.create(
        request=GenerationRequest("image", "一只猫", {}), provider="grsai",
        user_id=USER, chat_id=USER, thread_id=None, reply_to_id=None,
    )  # fmt: skip
    saved = SavedFile(str(picture), picture.stat().st_size, "ab" * 32, "image/png", 1200, 800)
    await console.services.jobs.update(job, state="done", files=[saved])
    client, _ = await console.logged_in(ADMIN)
    async with aclosing(client):
        gallery = await client.get("/gallery")
        assert f"/thumb/{job.id}/0" in gallery.text
        thumb = await client.get(f"/thumb/{job.id}/0")
        assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
        assert len(thumb.content) < picture.stat().st_size
        cached = list((console.services.settings.bot_data_dir / "console-thumbs").iterdir())
        assert len(cached) == 1
        made_at = cached[0].stat().st_mtime_ns
        await client.get(f"/thumb/{job.id}/0")
        assert cached[0].stat().st_mtime_ns == made_at  # made once
        picture.unlink()  # retention
        gallery = await client.get("/gallery")
        assert "文件已按保留期删除" in gallery.text
        assert (await client.get(f"/thumb/{job.id}/0")).status_code == 404
        assert not cached[0].exists()


async def test_settings_page_masks_secrets(console: RunningConsole) -> None:
    key = console.services.settings.grsai_api_key
    assert key is not None
    client, _ = await console.logged_in(ADMIN)
    async with aclosing(client):
        page = await client.get("/settings")
    assert "GRSAI_API_KEY" in page.text and "CONSOLE_PORT" in page.text
    assert key.get_secret_value() not in page.text
    token = console.services.settings.telegram_bot_token
    assert token is not None and token.get_secret_value() not in page.text
    from bot.console.settings_page import shown_value

    assert shown_value("bot_admin_ids", [9001, 2**56 + 123]) == "9001,qq:123"
    assert shown_value("telegram_proxy", "socks5://me:pa55word@proxy.example:1080") == (
        "socks5://me:***@proxy.example:1080")


async def test_logs_page_shows_scrubbed_warnings_and_follows_new_ones(
    console: RunningConsole,
) -> None:
    key = console.services.settings.grsai_api_key
    assert key is not None
    logging.getLogger("bot.test").warning("upstream said no with key %s", key.get_secret_value())
    client, _ = await console.logged_in(ADMIN)
    async with aclosing(client):
        page = await client.get("/logs")
        assert "upstream said no with key ***" in page.text
        assert key.get_secret_value() not in page.text
        async with client.stream("GET", "/logs/stream") as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            lines = stream.aiter_lines()

            async def next_data() -> str:
                async for line in lines:
                    if line.startswith("data:"):
                        return line
                raise AssertionError("stream ended")

            waiting = asyncio.create_task(next_data())
            # The follower is registered once the response started: log until it is seen.
            for _ in range(600):
                logging.getLogger("bot.test").error("live line %s", key.get_secret_value())
                done, _ = await asyncio.wait({waiting}, timeout=0.05)
                if done:
                    break
            data = await waiting
            assert "live line ***" in data and key.get_secret_value() not in data


async def test_console_binds_loopback_by_default(
    tg: FakeTelegram, grsai: FakeGrsAI, tmp_path: Path
) -> None:
    settings = make_settings(tg, grsai, tmp_path / "data", console_port=free_port())
    assert settings.console_host == "127.0.0.1"
    services = await Services.open(settings)
    access = AccessControl(settings, services.db, services.jobs)
    runner = await serve_console(build_console_app(services, access), settings.console_host,
                                 settings.console_port)  # fmt: skip
    try:
        assert bound_hosts(runner) == ["127.0.0.1"]
    finally:
        await runner.cleanup()
        await services.close()


def test_templates_hold_no_chinese_of_their_own() -> None:
    """Every word of the console comes from bot/core/texts.py (CONSOLE_UI)."""
    root = Path(__file__).resolve().parent.parent / "bot" / "console"
    for path in [*root.glob("templates/*.html"), *root.glob("*.py")]:
        text = path.read_text("utf-8")
        if path.suffix == ".py":
            text = re.sub(r'"""[\s\S]*?"""|#.*', "", text)  # docstrings and comments may
        assert not re.search(r"[\u4e00-\u9fff]", text), path.name


async def test_owners_grant_roles_and_make_links_for_operators(console: RunningConsole) -> None:
    client, csrf = await console.logged_in(ADMIN)
    async with aclosing(client):
        # No role yet: no link.
        refused = await client.post("/users/link", data={"csrf": csrf, "target": str(READER)})
        assert refused.status_code == 400
        granted = await client.post("/users/role", data={"csrf": csrf, "target": str(READER),
                                                         "role": "readonly"})
        assert granted.status_code == 303 and "role_set" in granted.headers["location"]
        bad = await client.post("/users/role", data={"csrf": csrf, "target": str(READER),
                                                     "role": "owner"})
        assert bad.status_code == 400  # owners are BOT_ADMIN_IDS only
        page = await client.post("/users/link", data={"csrf": csrf, "target": str(READER)})
        assert page.status_code == 200
        link = re.search(r'<pre id="new-link">http://127\.0\.0\.1:8787/login/([^<]+)</pre>',
                         page.text)  # fmt: skip
        assert link is not None
        users = await client.get("/users")
        assert "修改角色" in users.text and "生成登录链接" in users.text  # the audit
    reader = console.client()
    async with aclosing(reader):
        answer = await reader.post(f"/login/{link.group(1)}")
        assert answer.status_code == 303
        page = await reader.get("/users")
        assert "只读" in page.text and 'action="/users/role"' not in page.text
        reader_csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert reader_csrf is not None
        refused = await reader.post("/users/role", data={"csrf": reader_csrf.group(1),
                                                         "target": str(READER), "role": "admin"})
        assert refused.status_code == 403
