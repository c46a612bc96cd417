"""GrsAI: chat (OpenAI format) plus the draw/video task APIs, on domestic + overseas hosts."""

from __future__ import annotations

import httpx

from bot.core.providers.grsai_tasks import GrsAITasks
from bot.core.providers.http import FailoverHosts, JsonApi
from bot.core.providers.openai_chat import OpenAIChat


class GrsAI:
    name = "grsai"

    def __init__(self, http: httpx.AsyncClient, api_key: str, base_urls: list[str]) -> None:
        self.api = JsonApi(http, api_key, FailoverHosts(base_urls))
        self.chat = OpenAIChat("grsai", self.api)
        self.tasks = GrsAITasks(self.api)
