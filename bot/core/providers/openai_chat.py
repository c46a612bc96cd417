"""OpenAI Chat Completions streaming, as GrsAI and the other aggregators speak it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
from httpx_sse import EventSource

from bot.core.providers import errors
from bot.core.providers.base import ChatMessage
from bot.core.providers.http import (
    JSON_MAX_BYTES,
    AnswerTooLarge,
    JsonApi,
    read_capped,
    translate_transport_error,
)


class OpenAIChat:
    """Chat through an OpenAI-compatible `/v1/chat/completions` endpoint."""

    def __init__(
        self,
        name: str,
        api: JsonApi,
        path: str = "/v1/chat/completions",
        read_timeout: float | None = None,
        idempotent: bool = True,
    ) -> None:
        self.name = name
        self._api = api
        self._path = path
        self._read_timeout = read_timeout  # None: the shared client's
        # False when a "chat" creates paid work (聚合API's Sora): never repeated on a 5xx.
        self._idempotent = idempotent

    def use_read_timeout(self, seconds: float) -> None:
        """Chat answers are bounded by the stream deadlines; this is only the backstop."""
        if self._read_timeout is None:
            self._read_timeout = seconds

    async def stream_chat(self, model: str, messages: list[ChatMessage]) -> AsyncIterator[str]:
        payload = {"model": model, "messages": messages, "stream": True}
        finished = False
        async with self._api.stream(
            self._path, payload, self._read_timeout, idempotent=self._idempotent
        ) as response:
            content_type = response.headers.get("content-type", "")
            if "text/event-stream" not in content_type:
                # Some gateways ignore stream=true and answer with one JSON document.
                async for piece in _whole_answer(response):
                    yield piece
                return
            try:
                async for event in EventSource(response).aiter_sse():
                    data = event.data.strip()
                    if not data:
                        continue
                    if data == "[DONE]":
                        finished = True
                        break
                    chunk = _parse_chunk(data)
                    for choice in chunk.get("choices") or []:
                        delta = choice.get("delta") or choice.get("message") or {}
                        text = delta.get("content")
                        if isinstance(text, str) and text:
                            yield text
                        if choice.get("finish_reason"):
                            finished = True
            except httpx.HTTPError as exc:
                raise translate_transport_error(exc) from None
        if not finished:
            raise errors.StreamDropped("stream ended without [DONE]")


def _parse_chunk(data: str) -> dict:
    try:
        chunk = json.loads(data)
    except ValueError:
        raise errors.ServerError("malformed stream chunk") from None
    if isinstance(chunk, dict) and chunk.get("error"):
        err = chunk["error"]
        message = err.get("message", "") if isinstance(err, dict) else str(err)
        code = err.get("code") if isinstance(err, dict) else None
        status = code if isinstance(code, int) else 500
        raise errors.error_for_status(status, str(message)[:200])
    return chunk if isinstance(chunk, dict) else {}


async def _whole_answer(response: httpx.Response) -> AsyncIterator[str]:
    try:
        body = json.loads(await read_capped(response, JSON_MAX_BYTES))
    except (ValueError, httpx.HTTPError, AnswerTooLarge):
        raise errors.ServerError("malformed answer") from None
    for choice in body.get("choices") or []:
        text = (choice.get("message") or {}).get("content")
        if isinstance(text, str) and text:
            yield text
