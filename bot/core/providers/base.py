"""What the rest of the bot needs from a provider, per capability. No Telegram types here."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

# An OpenAI chat message: {"role": ..., "content": str | list[content part]}
ChatMessage = dict[str, Any]


class ChatProvider(Protocol):
    name: str

    def stream_chat(self, model: str, messages: list[ChatMessage]) -> AsyncIterator[str]:
        """Yield the answer's text pieces as they arrive; raise ProviderError on failure."""
        ...


# -- Generation tasks (images, videos, characters) -------------------------------------------

JobKind = Literal["image", "video", "character"]


@dataclass(frozen=True)
class GenerationRequest:
    """Everything a provider needs to start one task; stored with the job, so plain data.

    `params` holds the kind's options in the bot's own vocabulary:
      image:     model, aspect_ratio ("auto", "16:9", …), image_size ("1K" | "2K" | "4K")
      video:     model, aspect_ratio ("9:16" | "16:9"), duration (10 | 15),
                 size ("small" | "large"),
                 remix_target (pid or "")
      character: timestamps ("a,b"), pid (from a bot video) — or a reference video file
    `references` are paths of saved files (images; for characters the video clip).
    """

    kind: JobKind
    prompt: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    references: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ResultItem:
    url: str | None = None  # to download at once (expires upstream)
    data: bytes | None = None  # providers that answer synchronously with the bytes
    pid: str | None = None  # video: id for remix / character creation
    character_id: str | None = None
    content: str = ""  # text the provider returned beside the result


@dataclass(frozen=True)
class TaskState:
    """One poll's answer. `failed` carries `failure_reason` (input_moderation, output_moderation,
    error) and `error` text; `succeeded` carries `results`."""

    status: Literal["running", "succeeded", "failed"]
    progress: int | None = None
    results: tuple[ResultItem, ...] = ()
    failure_reason: str = ""
    error: str = ""


class GenerationProvider(Protocol):
    name: str

    async def submit(self, request: GenerationRequest) -> str:
        """Start a task and return its id, without waiting for the result."""
        ...

    async def poll(self, task_id: str) -> TaskState:
        """The task's current state; raise TaskNotFound if the provider does not know it."""
        ...

    def option_problem(self, request: GenerationRequest) -> str | None:
        """None if this provider takes the request's options, else one of OPTION_PROBLEMS.
        Asked before anything is paid; a provider that ignores an option takes any value."""
        ...


# Why a provider does not take a request's options (machine reasons; texts.OPTION_PROBLEM_TEXTS
# says them in Chinese).
OPTION_PROBLEMS = ("bad_model", "bad_size", "bad_ratio", "vip_sizes", "4k_vip_size")
