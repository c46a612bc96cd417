"""/draw through the chat format: one streamed `/v1/chat/completions` request to an image model
(gpt-4o-image on the unified aggregator and on 聚合API), the picture read from the answer.

Rules this module guarantees:
- one request per submit, never repeated here: submit() opens the stream and returns once the
  first piece arrived (any failure before that is an ordinary submit failure, so routing and
  the runner decide about fallback); a background reader follows the rest;
- the outcome is staged (staging.py) before poll() reports it: found http(s) pictures as URLs
  the runner downloads at once like any other result, data: URLs as staged bytes;
- there is no task id: a restart while the answer streams cannot resume it. poll() then fails
  the job with a Chinese explanation; nothing is resubmitted (the first request may be paid);
- an answer without a picture fails with our own Chinese reason (chat_answer.py), never with
  the provider's raw text. failure_reason is never "error", so the runner never resubmits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx

from bot.core import texts
from bot.core.providers import errors
from bot.core.providers.base import GenerationRequest, ResultItem, TaskState
from bot.core.providers.chat_answer import (
    decode_data_url,
    find_pictures,
    no_picture_reason,
    progress_of,
    prompt_with_options,
)
from bot.core.providers.chat_stream_tasks import StreamedChatTasks
from bot.core.providers.common import image_data_url
from bot.core.providers.openai_chat import OpenAIChat
from bot.core.providers.staging import Staging

log = logging.getLogger(__name__)

DEFAULT_MODEL = "gpt-4o-image"
PROGRESS_TAIL = 2000  # characters of the answer's end read for the latest progress line
# An answer is text plus at most a few base64 pictures; beyond this it is read as cut off.
MAX_ANSWER_CHARS = 96 * 1024 * 1024


class ChatImageTasks(StreamedChatTasks):
    """Image generation and editing of one provider through its chat endpoint."""

    def __init__(self, name: str, chat: OpenAIChat, staging: Staging, model: str) -> None:
        super().__init__(staging, texts.CHAT_IMAGE_STREAM_LOST)
        self.name = name
        self._chat = chat
        self._model = model or DEFAULT_MODEL
        self._id_name = f"{name}-img"  # ids tell image streams from the provider's other staging

    def owns(self, task_id: str) -> bool:
        return task_id.startswith(f"sync-{self._id_name}-")  # Staging.new_id(self._id_name)

    @staticmethod
    def supports(request: GenerationRequest) -> bool:
        return request.kind == "image"

    async def submit(self, request: GenerationRequest) -> str:
        messages = [{"role": "user", "content": await self._content(request)}]
        pieces = self._chat.stream_chat(self._model, messages)
        return await self._start(self._id_name, pieces, progress_of)

    # -- inside -------------------------------------------------------------------------------

    async def _content(self, request: GenerationRequest) -> Any:
        prompt = prompt_with_options(request.prompt, request.params)
        if not request.references:
            return prompt
        return [{"type": "text", "text": prompt}] + [
            {"type": "image_url", "image_url": {"url": await image_data_url(ref)}}
            for ref in request.references
        ]

    async def _follow(self, task_id: str, first: str, pieces: AsyncIterator[str]) -> None:
        complete = False
        parts, tail, size = [first], first[-PROGRESS_TAIL:], len(first)
        try:
            async for piece in pieces:
                # Joined once at the end: a data: URL answer can be megabytes in small pieces.
                parts.append(piece)
                size += len(piece)
                if size > MAX_ANSWER_CHARS:
                    log.warning(texts.LOG_IMAGE_ANSWER_TOO_LONG_READING, self.name, task_id)
                    break
                tail = (tail + piece)[-PROGRESS_TAIL:]
                self._live[task_id] = TaskState(status="running", progress=progress_of(tail))
            else:
                complete = True
        except asyncio.CancelledError:
            raise
        except (errors.ProviderError, httpx.HTTPError) as exc:
            # What arrived may already hold the picture; otherwise it is a failure below.
            log.info(texts.LOG_IMAGE_STREAM_ENDED_EARLY, self.name, task_id, type(exc).__name__)
        except Exception:
            log.exception(texts.LOG_IMAGE_STREAM_CRASHED, self.name, task_id)
        finally:
            with contextlib.suppress(Exception):
                await pieces.aclose()  # type: ignore[attr-defined]
        final = await self._outcome(task_id, "".join(parts), complete)
        try:
            await self._staging.save_state(task_id, final)
        except OSError:
            # Disk trouble: this process still answers from memory; only a restart loses it.
            log.exception(texts.LOG_IMAGE_ANSWER_COULD_NOT_BE, self.name, task_id)
            self._live[task_id] = final
            return
        self._live.pop(task_id, None)

    async def _outcome(self, task_id: str, text: str, complete: bool) -> TaskState:
        results: list[ResultItem] = []
        for url in find_pictures(text, complete=complete):
            if url.startswith("http"):
                results.append(ResultItem(url=url))
                continue
            data = decode_data_url(url)
            if data:  # staged on disk: the job row stores a file URL, not megabytes of base64
                staged = await self._staging.save_bytes(task_id, len(results), data)
                results.append(ResultItem(url=staged))
        if results:
            return TaskState(status="succeeded", progress=100, results=tuple(results))
        reason = no_picture_reason(text, cut_off=not complete)
        log.info(texts.LOG_IMAGE_ANSWER_WITHOUT_PICTURE_CHARS, self.name, task_id, len(text))
        return TaskState(status="failed", failure_reason="no_picture", error=reason)
