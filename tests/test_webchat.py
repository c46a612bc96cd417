"""网页对话 without a browser: who gets a web-chat link, what a web-chat-only session may reach,
the media routes' limits, text shown as text, quotas and access as on the other platforms.
(The page itself, streaming and a generation, in a real browser: tests/test_webchat_browser.py.)"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections.abc import AsyncIterator
from contextlib import aclosing
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from bot.console.app import API_PREFIXES, is_public, is_web_chat
from bot.console.webchat.events import WebJobEvents
from bot.core import identity, texts
from bot.core.console_auth import console_link_text, may_ask_for_link
from bot.core.providers.base import GenerationRequest
from bot.core.store.jobs import SavedFile
from bot.core.store.webchat import WebChatLog
from bot.runtime.runtime import Runtime
from bot.runtime.settings_check import validation_problems
from tests.console_harness import RunningConsole, console_on
from tests.fakes.grsai import ChatScript, FakeGrsAI, TaskScript
from tests.fakes.telegram import FakeTelegram
from tests.harness import RunningBot, make_settings
from tests.media import make_png
from tests.process import free_port
from tests.waiting import eventually

ADMIN = 9001
USER = 1001
OTHER = 1002
STRANGER = 3003


@pytest.fixture
def overrides() -> dict[str, Any]:
    return {}


@pytest.fixture
async def console(tg: FakeTelegram, grsai: FakeGrsAI, tmp_path: Path, overrides: dict[str, Any]
                  ) -> AsyncIterator[RunningConsole]:  # fmt: skip
    settings = make_settings(tg, grsai, tmp_path / "data", bot_admin_ids=[ADMIN],
                             bot_public=False, bot_allowed_ids=[USER, OTHER],
                             console_web_chat=True, **overrides)  # fmt: skip
    async with console_on(settings) as running:
        yield running


def events_of(body: str) -> list[tuple[str, dict[str, Any]]]:
    """(event, data) of a server-sent event stream."""
    found = []
    for block in body.replace("\r\n", "\n").split("\n\n"):
        name, data = "message", []
        for line in block.split("\n"):
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].strip())
        if data:
            found.append((name, json.loads("\n".join(data))))
    return found


async def turn(client: httpx.AsyncClient, csrf: str, text: str, **files: Any
               ) -> list[tuple[str, dict[str, Any]]]:  # fmt: skip
    answer = await client.post("/chat/turn", data={"text": text}, files=files or None,
                               headers={"X-CSRF-Token": csrf})  # fmt: skip
    assert answer.status_code == 200, answer.text
    return events_of(answer.text)


# -- identities and links -------------------------------------------------------------------


def test_web_identities_are_their_own_range_and_read_back() -> None:
    for shown in ("web:1001", "web:qq:777"):
        ident = identity.parse(shown)
        assert identity.platform_of(ident) == "web" and identity.display(ident) == shown
    assert identity.parse("web:1001") not in (1001, identity.qq_user(1001))
    assert identity.person_of_web(identity.web_user(identity.qq_user(5))) == identity.qq_user(5)
    for bad in ("web:-100123", "web:qqgroup:5", "web:web:1", "web:0", "web:"):
        with pytest.raises(ValueError):
            identity.parse(bad)


async def test_web_chat_link_only_when_on_and_only_for_allowed_users(
    tg: FakeTelegram, grsai: FakeGrsAI, tmp_path: Path
) -> None:
    for on in (False, True):
        settings = make_settings(tg, grsai, tmp_path / f"data{on}", bot_admin_ids=[ADMIN],
                                 bot_public=False, console_web_chat=on)  # fmt: skip
        assert may_ask_for_link(settings, True, False)
        assert may_ask_for_link(settings, False, True) is on
        assert not may_ask_for_link(settings, False, False)
        async with console_on(settings) as running:
            db = running.services.db
            allowed = await console_link_text(db, settings, USER, private=True,
                                              command="/console", allowed=True)  # fmt: skip
            stranger = await console_link_text(db, settings, STRANGER, private=True,
                                               command="/console", allowed=False)  # fmt: skip
            admin = await console_link_text(db, settings, ADMIN, private=True,
                                             command="/console", allowed=True)  # fmt: skip
            assert stranger == texts.CONSOLE_NO_ROLE
            assert "/login/" in admin and admin.startswith(texts.CONSOLE_LINK[:10])
            if on:
                assert allowed.startswith(texts.WEB_CHAT_LINK[:10]) and "/login/" in allowed
            else:
                assert allowed == texts.CONSOLE_NO_ROLE


@pytest.mark.parametrize("settings_overrides", [{"bot_public": False, "bot_allowed_ids": [USER],
                                                 "console_web_chat": True}])  # fmt: skip
async def test_console_command_gives_an_allowed_user_a_web_chat_link_and_strangers_nothing(
    tg: FakeTelegram, bot: RunningBot
) -> None:
    chat = tg.private_chat(USER)
    tg.send_text(chat, USER, "/console")
    await tg.wait_for(lambda: len(tg.bot_messages(chat["id"])) >= 1, timeout=30)
    text = tg.bot_messages(chat["id"])[0]["text"]
    assert text.startswith(texts.WEB_CHAT_LINK[:10]) and "/login/" in text
    stranger = tg.private_chat(STRANGER)
    tg.send_text(stranger, STRANGER, "/console")
    tg.send_text(chat, USER, "/usage")  # answered after the stranger's /console was handled
    await tg.wait_for(lambda: len(tg.bot_messages(chat["id"])) >= 2, timeout=30)
    assert tg.bot_messages(stranger["id"]) == []


@pytest.mark.parametrize("settings_overrides", [{"bot_public": False, "bot_allowed_ids": [USER]}])
async def test_console_command_is_silent_for_users_while_the_web_chat_is_off(
    tg: FakeTelegram, bot: RunningBot
) -> None:
    chat = tg.private_chat(USER)
    tg.send_text(chat, USER, "/console")
    tg.send_text(chat, USER, "/usage")
    await tg.wait_for(lambda: len(tg.bot_messages(chat["id"])) >= 1, timeout=30)
    assert all("/login/" not in m["text"] for m in tg.bot_messages(chat["id"]))


# -- what a web-chat-only session reaches ---------------------------------------------------


def console_routes(console: RunningConsole) -> list[tuple[str, str]]:
    """(method, path) of every console route but the public ones and the web chat's, with
    made-up values in place of the path's parameters."""
    assert console.app is not None
    found = []
    for route in console.app.router.routes():
        path = re.sub(r"\{[^}]*\}", "1", route.resource.canonical if route.resource else "")
        if route.method in ("GET", "POST") and not is_public(path) and not is_web_chat(path):
            found.append((route.method, path))
    return found


async def test_web_chat_only_session_is_refused_on_console_pages(console: RunningConsole) -> None:
    routes = console_routes(console)
    assert ("GET", "/users") in routes and ("POST", "/users/quota") in routes
    assert any(path.startswith("/ref/") for _, path in routes)
    client, csrf = await console.web_chatter(USER)
    async with aclosing(client):
        for method, path in routes:
            if method == "GET":
                answer = await client.get(path)
                if path.startswith(API_PREFIXES):  # files, streams: refused
                    assert answer.status_code == 403, path
                else:  # a console page: back to the web chat
                    assert answer.status_code == 303, path
                    assert answer.headers["location"] == "/chat", path
            else:
                answer = await client.post(path, data={"csrf": csrf, "target": str(USER)})
                assert answer.status_code == 403, path
        page = await client.get("/chat")
        assert page.status_code == 200
        for nav in ("/users", "/settings", "/jobs"):  # no console link on the page
            assert f'href="{nav}"' not in page.text
        # Without the CSRF token a message is refused too.
        assert (await client.post("/chat/turn", data={"text": "你好"})).status_code == 403
        assert (await client.post("/logout", data={"csrf": csrf})).status_code == 303
        assert (await client.get("/chat")).status_code == 303  # logged out


async def test_web_chat_session_ends_when_the_user_is_denied(console: RunningConsole) -> None:
    client, _ = await console.web_chatter(USER)
    async with aclosing(client):
        await console.access.set_allowed(USER, False, ADMIN)
        answer = await client.get("/chat")
        assert answer.status_code == 303 and answer.headers["location"] == "/login-help"


async def test_a_web_chat_link_is_no_console_link_for_a_stranger(console: RunningConsole) -> None:
    async with console.client() as client:
        link = await console.web_chat_link(STRANGER)  # issued, but the stranger is not allowed
        answer = await client.post(link)
        assert answer.status_code == 403


async def test_routes_without_a_session_are_refused(console: RunningConsole) -> None:
    async with console.client() as client:
        help_page = (await client.get("/login-help")).text
        assert texts.CONSOLE_UI["login_help_web_chat"] in help_page  # CONSOLE_WEB_CHAT=true
        assert (await client.get("/chat")).headers["location"] == "/login-help"
        for path in ("/chat/events", "/chat/upload/" + "a" * 64 + ".png", "/chat/result/1/0"):
            assert (await client.get(path)).status_code == 401, path
        for path in ("/chat/turn", "/chat/job", "/chat/new"):
            assert (await client.post(path, data={"csrf": "x"})).status_code == 401, path


# -- media ----------------------------------------------------------------------------------


async def test_media_routes_refuse_dotdot_and_another_web_users_files(
    console: RunningConsole, grsai: FakeGrsAI
) -> None:
    grsai.script_chat(ChatScript(text="好的"))
    mine, csrf = await console.web_chatter(USER)
    theirs, _ = await console.web_chatter(OTHER)
    picture = make_png(8, 8)
    name = hashlib.sha256(picture).hexdigest() + ".png"
    async with aclosing(mine), aclosing(theirs):
        events = await turn(mine, csrf, "看看这张图", picture=("a.png", picture, "image/png"))
        assert events[-1][0] == "done", events
        assert (await mine.get(f"/chat/upload/{name}")).content == picture
        assert (await theirs.get(f"/chat/upload/{name}")).status_code == 404
        # A result: only the web identity whose chat the job belongs to.
        media = console.services.settings.media_dir
        media.mkdir(parents=True, exist_ok=True)
        (media / "r.png").write_bytes(picture)
        outside = console.services.settings.bot_data_dir / "secret.png"
        outside.write_bytes(picture)
        jobs = []
        for path in (media / "r.png", outside):
            job = await console.services.jobs.create(
                request=GenerationRequest("image", "猫", {}), provider="grsai", user_id=USER,
                chat_id=identity.web_user(USER), thread_id=None, reply_to_id=None,
            )  # fmt: skip
            saved = SavedFile(str(path), len(picture), "x", "image/png")
            jobs.append(await console.services.jobs.update(job, state="done", files=[saved]))
        assert (await mine.get(f"/chat/result/{jobs[0].id}/0")).content == picture
        assert (await theirs.get(f"/chat/result/{jobs[0].id}/0")).status_code == 404
        assert (await mine.get(f"/chat/result/{jobs[1].id}/0")).status_code == 404  # outside
        assert (await mine.get(f"/chat/result/{jobs[0].id}/1")).status_code == 404
        own = f"web/{identity.web_user(USER)}/{name}"
        for path in ("/chat/upload/..%2F..%2Fsecret.png", "/chat/upload/%2E%2E",
                     f"/chat/upload/..%2F{identity.web_user(USER)}%2F{name}",
                     "/chat/upload/../../secret.png", f"/media/{own}"):  # fmt: skip
            answer = await theirs.get(path)
            assert answer.status_code in (303, 403, 404), path  # 303: back to the chat
            assert answer.content != picture, path


# -- text as text, quotas, memory -----------------------------------------------------------


async def test_a_script_prompt_and_answer_are_shown_as_text(
    console: RunningConsole, grsai: FakeGrsAI
) -> None:
    grsai.script_chat(ChatScript(text="<script>alert('答')</script>"))
    client, csrf = await console.web_chatter(USER)
    async with aclosing(client):
        events = await turn(client, csrf, "<script>alert('问')</script>")
        pieces = "".join(e[1]["text"] for e in events if e[0] == "piece")
        assert pieces == "<script>alert('答')</script>"  # data for textContent, as sent
        page = (await client.get("/chat")).text
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#39;问&#39;)" in page
    assert "&lt;script&gt;alert(&#39;答&#39;)" in page


@pytest.mark.parametrize("overrides", [{"quota_chat_per_day": 1, "quota_images_per_day": 0}])
async def test_quotas_hold_in_the_web_chat_and_are_the_persons_own(
    console: RunningConsole, grsai: FakeGrsAI
) -> None:
    grsai.script_chat(ChatScript(text="第一次回答"))
    client, csrf = await console.web_chatter(USER)
    async with aclosing(client):
        first = await turn(client, csrf, "你好")
        assert first[-1][0] == "done"
        second = await turn(client, csrf, "再问一次")
        assert [e[0] for e in second] == ["notice"] and "次数已用完" in second[0][1]["text"]
        drawn = await client.post("/chat/job", data={"kind": "image", "prompt": "一只猫"},
                                  headers={"X-CSRF-Token": csrf})  # fmt: skip
        assert "次数已用完" in drawn.json()["notice"]
    assert grsai.submissions("image") == []
    # Counted for the person (shared with their Telegram chats), from the web chat's chat id.
    assert (await console.access.used_today(USER))["chat"] == 1


async def test_memory_is_per_web_user_and_new_conversation_forgets_it(
    console: RunningConsole, grsai: FakeGrsAI
) -> None:
    for answer in ("记住了", "你叫小明", "其他人"):
        grsai.script_chat(ChatScript(text=answer))
    client, csrf = await console.web_chatter(USER)
    other, other_csrf = await console.web_chatter(OTHER)
    async with aclosing(client), aclosing(other):
        await turn(client, csrf, "我叫小明")
        await turn(client, csrf, "我叫什么？")
        await turn(other, other_csrf, "我叫什么？")
        chats = grsai.requests_to("/v1/chat/completions")
        second = chats[1].json["messages"]
        assert any(m["content"] == "我叫小明" for m in second)
        third = chats[2].json["messages"]
        assert not any(m["content"] == "我叫小明" for m in third)
        forgot = await client.post("/chat/new", headers={"X-CSRF-Token": csrf})
        assert forgot.json()["notice"] == texts.WEB_CHAT_UI["new_done"]
    assert await console.services.chat.conversations.history(f"p:{identity.web_user(USER)}") == []


async def test_refused_when_the_person_is_denied_while_the_operator_session_stays(
    console: RunningConsole,
) -> None:
    """An operator's session chats as web:<operator>; a read-only operator who may not use
    the bot is told so (the same access rules)."""
    await console.auth.set_role(4004, "readonly", ADMIN)
    client, csrf = await console.logged_in(4004)
    async with aclosing(client):
        events = await turn(client, csrf, "你好")
    assert events == [("notice", {"text": texts.WEB_CHAT_NOT_ALLOWED})]


def test_console_web_chat_is_validated_like_the_other_settings(
    tg: FakeTelegram, grsai: FakeGrsAI, tmp_path: Path
) -> None:
    assert make_settings(tg, grsai, tmp_path).console_web_chat is False  # off by default
    with pytest.raises(ValidationError) as bad:
        make_settings(tg, grsai, tmp_path, console_web_chat="也许")
    [line] = validation_problems(bad.value)
    assert "CONSOLE_WEB_CHAT" in line and texts.ALLOWED_BOOL in line


async def test_the_jobs_page_tells_web_chat_jobs_apart(console: RunningConsole) -> None:
    made = {}
    for chat in (USER, identity.web_user(USER)):
        job = await console.services.jobs.create(
            request=GenerationRequest("image", "猫", {}), provider="grsai", user_id=USER,
            chat_id=chat, thread_id=None, reply_to_id=None,
        )  # fmt: skip
        made[identity.platform_of(chat)] = job.id
    client, _ = await console.logged_in(ADMIN)
    async with aclosing(client):
        web_jobs = (await client.get("/jobs?platform=web")).text
        telegram_jobs = (await client.get("/jobs?platform=telegram")).text
    assert f'data-job="{made["web"]}"' in web_jobs
    assert f'data-job="{made["telegram"]}"' not in web_jobs
    assert f'data-job="{made["telegram"]}"' in telegram_jobs
    assert f'data-job="{made["web"]}"' not in telegram_jobs
    assert texts.CONSOLE_PLATFORM_NAMES["web"] in web_jobs


async def test_video_from_the_web_chat_takes_the_video_options_and_one_reference(
    console: RunningConsole, grsai: FakeGrsAI
) -> None:
    grsai.script_task(TaskScript(kind="video"))
    client, csrf = await console.web_chatter(USER)
    picture = make_png(16, 16)
    async with aclosing(client):
        answer = await client.post(
            "/chat/job", headers={"X-CSRF-Token": csrf},
            data={"kind": "video", "prompt": "海边日落，镜头缓缓推进", "ratio": "16:9",
                  "duration": "15", "quality": "large", "model": "不是选项"},
            files={"picture": ("a.png", picture, "image/png")},
        )  # fmt: skip
        job = answer.json()["job"]
        assert job["kind"] == "video" and "海边日落" in job["status"]
        [sent] = await eventually(lambda: grsai.submissions("video"), timeout=30)
        assert (sent["aspectRatio"], sent["duration"], sent["size"]) == ("16:9", 15, "large")
        assert sent["prompt"] == "海边日落，镜头缓缓推进" and sent.get("url")
        empty = await client.post("/chat/job", headers={"X-CSRF-Token": csrf},
                                  data={"kind": "video", "prompt": "  "})  # fmt: skip
        assert empty.json() == {"notice": texts.WEB_CHAT_VIDEO_EMPTY}
        not_picture = await client.post(
            "/chat/job", headers={"X-CSRF-Token": csrf}, data={"kind": "image", "prompt": "猫"},
            files={"picture": ("a.png", b"not a picture at all", "image/png")},
        )  # fmt: skip
        assert not_picture.json() == {"notice": texts.DRAW_REFERENCE_NOT_IMAGE}


async def test_the_runtime_mounts_the_web_chat_and_routes_web_jobs_to_it(
    tg: FakeTelegram, grsai: FakeGrsAI, tmp_path: Path
) -> None:
    port = free_port()
    settings = make_settings(tg, grsai, tmp_path / "data", telegram_bot_token=None,
                             console_port=port, bot_admin_ids=[ADMIN])  # fmt: skip
    runtime = Runtime(settings)
    await runtime.start()
    try:
        assert isinstance(runtime.router.platforms["web"], WebJobEvents)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            answer = await client.get("/chat", follow_redirects=False)
        assert answer.headers["location"] == "/login-help"
    finally:
        await runtime.stop()


async def test_an_operator_chats_as_their_web_identity(
    console: RunningConsole, grsai: FakeGrsAI
) -> None:
    grsai.script_chat(ChatScript(text="你好，管理员"))
    client, csrf = await console.logged_in(ADMIN)
    async with aclosing(client):
        assert 'href="/chat"' in (await client.get("/")).text  # in the console's navigation
        events = await turn(client, csrf, "你好")
        drawn = await client.post("/chat/job", data={"kind": "image", "prompt": "一只猫"},
                                  headers={"X-CSRF-Token": csrf})  # fmt: skip
    assert events[-1][0] == "done"
    job = await console.services.jobs.get(drawn.json()["job"]["id"])
    assert job is not None and (job.user_id, job.chat_id) == (ADMIN, identity.web_user(ADMIN))


@pytest.mark.parametrize("overrides", [{"quota_images_per_day": 2}])
async def test_retry_submits_a_failed_job_once_and_only_for_its_owner(
    console: RunningConsole, grsai: FakeGrsAI
) -> None:
    grsai.script_task(TaskScript(kind="image"))
    job = await console.services.jobs.create(
        request=GenerationRequest("image", "一只猫", {"model": "nano-banana-pro",
                                                     "aspect_ratio": "auto", "image_size": "1K"}),
        provider="grsai", user_id=USER, chat_id=identity.web_user(USER), thread_id=None,
        reply_to_id=None,
    )  # fmt: skip
    await console.services.jobs.update(job, state="interrupted", failure="submit_unclear")
    await WebChatLog(console.services.db).add(identity.web_user(USER), "job", job_id=job.id)
    mine, csrf = await console.web_chatter(USER)
    theirs, their_csrf = await console.web_chatter(OTHER)
    async with aclosing(mine), aclosing(theirs):
        page = (await mine.get("/chat")).text
        assert f'data-retry="{job.id}"' in page  # the button its text points at
        refused = await theirs.post(f"/chat/job/{job.id}/retry",
                                    headers={"X-CSRF-Token": their_csrf})  # fmt: skip
        assert refused.status_code == 404
        first = await mine.post(f"/chat/job/{job.id}/retry", headers={"X-CSRF-Token": csrf})
        again = await mine.post(f"/chat/job/{job.id}/retry", headers={"X-CSRF-Token": csrf})
        reloaded = (await mine.get("/chat")).text
    assert f'data-retry="{job.id}"' not in reloaded  # used: a reload offers it no more
    started = first.json()["job"]
    assert started["id"] != job.id and started["kind"] == "image"
    assert again.json() == {"notice": texts.WEB_CHAT_ALREADY_RETRIED}
    await eventually(lambda: grsai.submissions("image"), timeout=30)
    assert len(grsai.submissions("image")) == 1


@pytest.mark.parametrize("overrides", [{"quota_images_per_day": 0}])
async def test_a_retry_the_quota_refuses_stays_offered(console: RunningConsole) -> None:
    job = await console.services.jobs.create(
        request=GenerationRequest("image", "一只猫", {}), provider="grsai", user_id=USER,
        chat_id=identity.web_user(USER), thread_id=None, reply_to_id=None,
    )  # fmt: skip
    await console.services.jobs.update(job, state="failed", failure="timeout")
    client, csrf = await console.web_chatter(USER)
    async with aclosing(client):
        refused = await client.post(f"/chat/job/{job.id}/retry", headers={"X-CSRF-Token": csrf})
        assert "次数已用完" in refused.json()["notice"]
    assert await console.services.jobs.claim_relaunch(job.id)  # nothing spent: still offered


@pytest.mark.parametrize("overrides", [{"draw_max_reference_mb": 1}])
async def test_a_picture_above_the_reference_limit_gets_a_chinese_answer(
    console: RunningConsole,
) -> None:
    too_big = texts.DRAW_REFERENCE_TOO_BIG.format(limit_mb=1)
    client, csrf = await console.web_chatter(USER)
    async with aclosing(client):
        for size in (1024 * 1024 + 10_000, 3 * 1024 * 1024):  # just above; far above
            picture = make_png(8, 8) + bytes(size)
            events = await turn(client, csrf, "看图", picture=("a.png", picture, "image/png"))
            assert events == [("notice", {"text": too_big})], size
            drawn = await client.post(
                "/chat/job", headers={"X-CSRF-Token": csrf}, data={"kind": "image", "prompt": "猫"},
                files={"picture": ("a.png", picture, "image/png")},
            )  # fmt: skip
            assert drawn.json() == {"notice": too_big}, size
        # The console's other forms keep their small limit.
        big = await client.post("/logout", data={"csrf": csrf, "x": "x" * 200_000})
        assert big.status_code == 413


async def test_turns_of_one_conversation_are_answered_in_order_and_a_waiting_one_says_so(
    console: RunningConsole, grsai: FakeGrsAI
) -> None:
    grsai.script_chat(ChatScript(text="第一个回答，慢慢来。", chunk_size=3, delay=0.2))
    grsai.script_chat(ChatScript(text="第二个回答"))
    client, csrf = await console.web_chatter(USER)
    async with aclosing(client):
        first = asyncio.create_task(turn(client, csrf, "第一个问题"))
        await eventually(lambda: grsai.requests_to("/v1/chat/completions"), timeout=30)
        second = await turn(client, csrf, "第二个问题")
        first_events = await first
    assert second[0] == ("queued", {"text": texts.CHAT_QUEUED.format(n=1)})
    assert "".join(e[1]["text"] for e in first_events if e[0] == "piece") == "第一个回答，慢慢来。"
    assert "".join(e[1]["text"] for e in second if e[0] == "piece") == "第二个回答"
    asked = [r.json["messages"][-1]["content"] for r in grsai.requests_to("/v1/chat/completions")]
    assert asked == ["第一个问题", "第二个问题"]


async def test_the_transcript_keeps_each_identitys_newest_rows_only(
    console: RunningConsole, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.core.store import webchat as transcript

    monkeypatch.setattr(transcript, "KEEP", 5)
    log = WebChatLog(console.services.db)
    mine, theirs = identity.web_user(USER), identity.web_user(OTHER)
    await log.add(theirs, "user", "别人的话")
    for n in range(8):
        await log.add(mine, "user", f"第 {n} 句")
    kept = await log.recent(mine, limit=100)
    assert [e.text for e in kept] == [f"第 {n} 句" for n in range(3, 8)]
    assert [e.text for e in await log.recent(theirs)] == ["别人的话"]
