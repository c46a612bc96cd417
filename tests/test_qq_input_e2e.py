"""What QQ users send the bot (pictures, clips) is fetched as carefully as a provider's result:
the URL policy, pinned addresses and checked redirects of bot/core/media/download.py, with only the
OneBot implementation's own host allowed as a private address; local files NapCat reports are
checked and copied through the same caps; a chat turn's pictures are capped and fetched only
after the quota and the length were checked — the real adapter ↔ FakeNapCat ↔ fake GrsAI."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.core import identity, texts
from tests.fakes.grsai import CHAT_PATH, ChatScript, FakeGrsAI
from tests.fakes.onebot import FakeNapCat, SentMessage
from tests.media import make_mp4, make_png
from tests.qq_harness import RunningQQ

USER = 555
MB = 1024 * 1024
UPLOAD_CHARACTER = "/v1/video/sora-upload-character"


def text(value: str) -> dict[str, Any]:
    return {"type": "text", "data": {"text": value}}


async def answer(qq: FakeNapCat, message: list[dict[str, Any]], within: float = 20) -> SentMessage:
    """Send a private message; the bot's next message."""
    before = len(qq.sent)
    await qq.private_message(USER, message)
    return (await qq.wait_sent(before + 1, within=within))[before]


class Internal:
    """An internal web page on another loopback address (127.0.0.2): a QQ segment must not
    make the bot fetch it. Records every request."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        self.server: TestServer | None = None

    async def start(self) -> Internal:
        async def page(request: web.Request) -> web.StreamResponse:
            self.hits.append(request.path)
            body = make_mp4(64, 64, 2.0) if request.path.endswith(".mp4") else make_png(8, 8)
            return web.Response(body=body)

        app = web.Application()
        app.router.add_get("/{name}", page)
        self.server = TestServer(app, host="127.0.0.2")
        await self.server.start_server()
        return self

    def url(self, name: str) -> str:
        assert self.server is not None
        return str(self.server.make_url(f"/{name}"))


@pytest.fixture
async def internal() -> AsyncIterator[Internal]:
    page = await Internal().start()
    yield page
    assert page.server is not None
    await page.server.close()


def picture_at(url: str) -> dict[str, Any]:
    return {"type": "image", "data": {"file": "X.png", "url": url}}


def clip_at(url: str) -> dict[str, Any]:
    return {"type": "video", "data": {"file": "X.mp4", "url": url}}


# -- URLs in segments --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "refusal"),
    [
        (lambda url: [picture_at(url("a.png")), text("/画图 油画风格")],
         texts.REFERENCE_DOWNLOAD_FAILED),
        (lambda url: [picture_at(url("a.png")), text("/问 图里有什么")],
         texts.REFERENCE_DOWNLOAD_FAILED),
        (lambda url: [clip_at(url("a.mp4")), text("/角色 0,2")], texts.ROLE_VIDEO_DOWNLOAD_FAILED),
    ],
    ids=["draw", "ask", "role"],
)  # fmt: skip
async def test_a_segment_url_on_another_internal_address_is_never_fetched(
    qq: FakeNapCat, grsai: FakeGrsAI, qq_bot: RunningQQ, internal: Internal,
    message: Callable[[Callable[[str], str]], list[dict[str, Any]]], refusal: str,
) -> None:  # fmt: skip
    """NapCat is on 127.0.0.1 (its own media URLs are fine); 127.0.0.2 is somebody else's."""
    said = await answer(qq, message(internal.url))
    assert said.text == refusal
    assert internal.hits == []
    assert grsai.submissions("image") == [] and grsai.requests_to(UPLOAD_CHARACTER) == []
    assert grsai.requests_to(CHAT_PATH) == []


async def test_a_redirect_from_napcats_url_to_an_internal_address_is_not_followed(
    qq: FakeNapCat, grsai: FakeGrsAI, qq_bot: RunningQQ, internal: Internal
) -> None:
    picture = qq.image(make_png(20, 20, "moved"), name="MOVED.png")
    qq.media_redirects["MOVED.png"] = internal.url("b.png")
    said = await answer(qq, [picture, text("/画图 油画风格")])
    assert said.text == texts.REFERENCE_DOWNLOAD_FAILED
    assert qq.media_requests == ["MOVED.png"] and internal.hits == []
    assert grsai.submissions("image") == []


async def test_a_redirect_to_the_metadata_address_is_refused_at_once(
    qq: FakeNapCat, grsai: FakeGrsAI, qq_bot: RunningQQ
) -> None:
    """Refused before any connection: no 10 s connect timeout towards 169.254.169.254."""
    picture = qq.image(make_png(20, 20, "meta"), name="META.png")
    qq.media_redirects["META.png"] = "http://169.254.169.254/latest/meta-data/"
    said = await answer(qq, [picture, text("/画图 油画风格")], within=5)
    assert said.text == texts.REFERENCE_DOWNLOAD_FAILED
    assert grsai.submissions("image") == []


# -- clips NapCat reports as local files -------------------------------------------------------


def local_clip(qq: FakeNapCat, tmp_path: Path, data: bytes, name: str) -> dict[str, Any]:
    """A video segment as NapCat on the same host reports it: a name, no URL; get_file answers
    with a path in NapCat's cache."""
    qq.media_dir = tmp_path / "napcat"
    qq.received_media[name] = data
    return {"type": "video", "data": {"file": name}}


@pytest.mark.parametrize("qq_overrides", [{"role_max_video_mb": 1}], indirect=True)
async def test_a_local_clip_over_the_cap_is_refused_before_anything_is_read_or_sent(
    qq: FakeNapCat, grsai: FakeGrsAI, qq_bot: RunningQQ, tmp_path: Path
) -> None:
    big = local_clip(qq, tmp_path, make_mp4(320, 240, 8.0, payload=2 * MB), "BIG.mp4")
    said = await answer(qq, [big, text("/角色 0,2")])
    assert said.text == texts.ROLE_VIDEO_TOO_BIG.format(limit_mb=1)
    assert grsai.requests_to(UPLOAD_CHARACTER) == []


async def test_a_local_file_that_is_no_video_is_refused(
    qq: FakeNapCat, grsai: FakeGrsAI, qq_bot: RunningQQ, tmp_path: Path
) -> None:
    fake = local_clip(qq, tmp_path, b"#!/bin/sh\necho not a video\n" * 100, "FAKE.mp4")
    said = await answer(qq, [fake, text("/角色 0,2")])
    assert said.text == texts.ROLE_VIDEO_NOT_VIDEO
    assert grsai.requests_to(UPLOAD_CHARACTER) == []


async def test_a_local_clip_within_the_cap_is_copied_and_used(
    qq: FakeNapCat, grsai: FakeGrsAI, qq_bot: RunningQQ, tmp_path: Path
) -> None:
    clip = make_mp4(320, 240, 6.0, payload=20_000)
    said = await answer(qq, [local_clip(qq, tmp_path, clip, "OK.mp4"), text("/角色 0,2")])
    assert said.text.startswith(texts.QQ_JOB_RECEIVED)
    async with asyncio.timeout(15):
        while not grsai.requests_to(UPLOAD_CHARACTER):  # noqa: ASYNC110 (no event in the fake)
            await asyncio.sleep(0.05)
    body = grsai.requests_to(UPLOAD_CHARACTER)[0].json
    assert base64.b64decode(body["url"].split(",", 1)[1]) == clip
    assert qq_bot.services is not None
    copies = list((qq_bot.services.settings.media_dir / "clips").iterdir())
    assert [c.read_bytes() for c in copies] == [clip]  # a copy of its own, not NapCat's file


# -- a chat turn's pictures --------------------------------------------------------------------


@pytest.mark.parametrize("qq_overrides", [{"draw_max_references": 2}], indirect=True)
async def test_a_chat_turn_takes_at_most_the_reference_cap_and_fetches_none_beyond_it(
    qq: FakeNapCat, grsai: FakeGrsAI, qq_bot: RunningQQ
) -> None:
    pictures = [qq.image(make_png(10 + i, 10, f"p{i}")) for i in range(3)]
    said = await answer(qq, [*pictures, text("/问 这些图有什么不同")])
    assert said.text == texts.DRAW_TOO_MANY_REFERENCES.format(limit=2)
    assert qq.media_requests == [] and grsai.requests_to(CHAT_PATH) == []


@pytest.mark.parametrize("qq_overrides", [{"chat_max_prompt_chars": 10}], indirect=True)
async def test_a_chat_turn_too_long_is_refused_before_its_pictures_are_fetched(
    qq: FakeNapCat, grsai: FakeGrsAI, qq_bot: RunningQQ
) -> None:
    said = await answer(qq, [qq.image(make_png(12, 12)), text("/问 " + "长" * 30)])
    assert said.text == texts.PROMPT_TOO_LONG.format(length=30, limit=10)
    assert qq.media_requests == []


async def test_a_chat_turn_over_the_quota_is_refused_before_its_pictures_are_fetched(
    qq: FakeNapCat, grsai: FakeGrsAI, qq_bot: RunningQQ
) -> None:
    assert qq_bot.adapter is not None
    await qq_bot.adapter.access.set_quota(identity.qq_user(USER), "chat", 0)
    said = await answer(qq, [qq.image(make_png(12, 12)), text("/问 图里有什么")])
    assert "额度" in said.text or "次数" in said.text or "上限" in said.text, said.text
    assert qq.media_requests == [] and grsai.requests_to(CHAT_PATH) == []


async def test_a_chat_turn_within_the_limits_sends_its_pictures(
    qq: FakeNapCat, grsai: FakeGrsAI, qq_bot: RunningQQ
) -> None:
    grsai.script_chat(ChatScript(text="一只猫。"))
    said = await answer(qq, [qq.image(make_png(12, 12, "cat")), text("/问 图里有什么")])
    assert "一只猫" in said.text
    assert len(qq.media_requests) == 1


async def test_a_picture_qq_cannot_give_is_explained_in_qq_words_not_telegrams(
    qq: FakeNapCat, grsai: FakeGrsAI, qq_bot: RunningQQ
) -> None:
    picture = qq.image(make_png(20, 20, "gone"), name="GONE.png")
    qq.received_media.pop("GONE.png", None)  # NapCat's URL answers 404
    said = await answer(qq, [picture, text("/画图 油画风格")])
    assert "下载失败" in said.text
    assert "Telegram" not in said.text and "20 MB" not in said.text
