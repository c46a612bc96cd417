"""Everything the handlers need, built once at start-up by the runtime (no platform types).

Rules: the job runner is built whole here (its events router, URL policies, callbacks and
disk-full hook are constructor arguments, never set from outside afterwards); one
AccessControl serves every platform, so an /allow on one is seen by all; one chat queue
(bot/core/usecases/chat_queue.py) keeps each conversation to one answer at a time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from bot.core.access import AccessControl
from bot.core.background import Background
from bot.core.chat.service import ChatService
from bot.core.config import Settings
from bot.core.jobs.callbacks import Callbacks
from bot.core.jobs.runner import JobEvents, JobRunner, RunnerConfig
from bot.core.media.download import policies_for
from bot.core.providers.grsai import GrsAI
from bot.core.providers.http import make_http_client
from bot.core.providers.openai_chat import OpenAIChat
from bot.core.providers.registry import ProviderSet, build_providers
from bot.core.providers.staging import Staging
from bot.core.redact import register as register_secrets
from bot.core.redact import secrets_of
from bot.core.store.chat_turns import ChatTurns
from bot.core.store.conversations import Conversations
from bot.core.store.db import Database
from bot.core.store.jobs import JobStore
from bot.core.store.users import UserPrefs
from bot.core.usecases.chat_queue import ChatQueue
from bot.core.usecases.provider_order import ProviderOrders


@dataclass
class Services:
    settings: Settings
    db: Database
    http: httpx.AsyncClient
    prefs: UserPrefs
    chat: ChatService
    grsai: GrsAI | None
    jobs: JobStore
    runner: JobRunner
    providers: ProviderSet
    access: AccessControl
    chat_queue: ChatQueue  # one answer at a time per conversation, on every platform
    downloads: httpx.AsyncClient | None = None
    background: Background = field(default_factory=Background)  # chat turns in flight
    chat_streams: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(1000))
    orders: ProviderOrders | None = None  # the provider order per capability (None: .env's)

    @classmethod
    async def open(
        cls,
        settings: Settings,
        *,
        events: JobEvents | None = None,
        callbacks: Callbacks | None = None,
        on_disk_full: Callable[[], None] | None = None,
    ) -> Services:
        """`events`: where jobs are shown and delivered (the runtime's router); `callbacks`:
        provider callbacks when a route serves them; `on_disk_full`: the admins' alert."""
        register_secrets(secrets_of(settings))  # scrubbed from every error detail and log
        db = Database(settings.db_path)
        await db.open()
        settings.media_dir.mkdir(parents=True, exist_ok=True)
        # Pools by purpose: API calls, upstream streams (one per chat turn at most) and
        # result downloads each have their own connections (sizes from the settings).
        http = make_http_client(
            settings.provider_connect_timeout, settings.provider_read_timeout,
            connections=settings.http_api_connections, streams=settings.chat_max_streams + 50,
        )  # fmt: skip
        downloads = make_http_client(
            settings.provider_connect_timeout, settings.provider_read_timeout,
            connections=settings.http_download_connections, streams=1,
        )  # fmt: skip
        # Providers and routing: which provider serves chat, images and videos (registry.py).
        providers = build_providers(settings, http)
        # Chat streams are bounded by the stream deadlines (ReplyStream); httpx's read timeout
        # stays only as a backstop beyond them.
        backstop = max(settings.chat_first_token_timeout, settings.chat_silence_timeout) + 5
        for client in providers.clients.values():
            chat_provider = getattr(client, "chat", None)
            if isinstance(chat_provider, OpenAIChat):
                chat_provider.use_read_timeout(backstop)
        grsai = providers.clients.get("grsai")
        prefs = UserPrefs(db)
        conversations = Conversations(
            db, settings.chat_history_messages, settings.chat_history_chars
        )
        chat = ChatService(
            providers.chat, conversations, prefs, settings.default_chat_model,
            settings.chat_system_prompt, ChatTurns(db),
        )  # fmt: skip
        jobs = JobStore(db)
        jobs.on_disk_full = on_disk_full  # job state writes wait for space too
        Staging.on_disk_full = on_disk_full  # the staging folder is shared by every provider
        # Where each provider's result URLs may point (private hosts only for private providers).
        url_policies = await policies_for(
            {name: [str(getattr(settings, f"{name}_base_url", "") or ""),
                    str(getattr(settings, f"{name}_fallback_base_url", "") or "")]
             for name in providers.clients},
            settings.bot_data_dir / "staged",
        )  # fmt: skip
        runner = JobRunner(
            jobs,
            providers.tasks,
            downloads,
            settings.media_dir,
            RunnerConfig(
                poll_interval={
                    "image": settings.job_poll_interval_image,
                    "video": settings.job_poll_interval_video,
                    "character": settings.job_poll_interval_character,
                },
                max_running=settings.job_max_running,
                delivery_retry_min=settings.job_delivery_retry_min,
                delivery_retry_max=settings.job_delivery_retry_max,
                delivery_max_failures=settings.job_delivery_max_failures,
                queue_status_interval=settings.job_queue_status_interval,
                not_sent_window=settings.job_submit_connect_window,
            ),
            fallback=providers.next_after,
            events=events,
            url_policies=url_policies,
            callbacks=callbacks,
            on_disk_full=on_disk_full,
        )
        access = AccessControl(settings, db, jobs)
        await access.load()
        # An order an operator chose while running wins over CHAT/IMAGE/VIDEO_PROVIDERS.
        orders = ProviderOrders(settings, providers, access.runtime)
        await orders.load()
        streams = asyncio.Semaphore(settings.chat_max_streams)
        queue = ChatQueue(settings.chat_queue_per_conversation)
        return cls(settings, db, http, prefs, chat, grsai, jobs, runner, providers, access,
                   queue, downloads, Background(), streams, orders)  # fmt: skip

    async def close(self) -> None:
        await self.runner.stop()
        await self.providers.close()  # open 聚合API video streams
        await self.http.aclose()
        if self.downloads is not None:
            await self.downloads.aclose()
        await self.db.close()
