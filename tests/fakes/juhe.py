"""A fake of 聚合API (seed 004; upstream-apis.md §4) on 127.0.0.1.

OpenAI-compatible chat and ``/v1/models``. A chat request whose model is one of the Sora
chat-format names (``sora_video2-portrait``, ``…-landscape-hd-15s`` …) streams progress text
and ends with the video as a Markdown link, like the real gateway:
``✅ 视频生成成功，[点击这里](https://….mp4) 查看视频``. Failure modes: a malformed answer
with no link, a refusal text, a dropped stream, and HTTP errors (``fail_next``).
Images through the chat format ("gpt-4-all(生成图片)", model ``gpt-4o-image``): see
``ChatImageFake`` in openai_base.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.fakes.openai_base import IMAGE_MODEL, ChatImageFake, FakeOpenAIServer

SORA_MODELS = tuple(
    f"sora_video2-{o}{hd}{s}"
    for o in ("portrait", "landscape")
    for hd in ("", "-hd")
    for s in ("", "-15s")
)


@dataclass
class SoraReply:
    """How the next chat-format Sora answer goes."""

    mode: str = "link"  # "link" | "no_link" | "refusal" | "drop"
    delay: float = 0.0


class FakeJuhe(ChatImageFake, FakeOpenAIServer):
    def __init__(self, api_key: str = "sk-test-juhe-key") -> None:
        self.sora_replies: list[SoraReply] = []
        self.video_urls: list[str] = []
        self.sora_requests: list[dict[str, Any]] = []
        self.init_images()
        super().__init__(api_key, ["gpt-4o-mini", "gemini-2.5-flash", "claude-3-5-haiku",
                                   "dall-e-3", IMAGE_MODEL, *SORA_MODELS])  # fmt: skip

    @property
    def base_url(self) -> str:
        return self.host

    def script_sora(self, reply: SoraReply) -> None:
        self.sora_replies.append(reply)

    async def chat_special(
        self, request: web.Request, body: dict[str, Any]
    ) -> web.StreamResponse | None:
        if body["model"] == IMAGE_MODEL:
            return await self.answer_image(request, body)
        if body["model"] not in SORA_MODELS:
            return None
        self.sora_requests.append(body)
        reply = self.sora_replies.pop(0) if self.sora_replies else SoraReply()
        progress = ["```\n🎬 视频生成任务已提交\n```\n", "进度：12%\n", "进度：47%\n",
                    "进度：88%\n"]  # fmt: skip
        if reply.mode == "no_link":
            pieces = [*progress, "✅ 视频生成成功，请在控制台查看。"]
        elif reply.mode == "refusal":
            pieces = [progress[0], "❌ 生成失败：内容违反了使用政策，请修改提示词。"]
        elif reply.mode == "drop":
            return await self.stream_pieces(request, body, progress, reply.delay, drop_after=2)
        else:
            url = self.add_file("mp4", f"juhe-{len(self.video_urls)}")
            self.video_urls.append(url)
            pieces = [*progress, f"✅ 视频生成成功，[点击这里]({url}) 查看视频"]
        return await self.stream_pieces(request, body, pieces, reply.delay)
