"""One answer at a time per conversation, in arrival order, the same on every platform.

Rules:
- a turn takes its place when it arrives (before any picture is fetched or stream opened) and
  is answered after every turn that arrived before it, so answers come in the order the
  questions did, however long each one's preparation takes;
- a turn that has to wait says so once ("queued" note, with how many are ahead of it);
- more than CHAT_QUEUE_PER_CONVERSATION turns ahead: refused with a Chinese answer, nothing
  held (the caller gives back the chat turn it reserved);
- a place is given back on every path: after its answer, or unused (`leave`).
"""

from __future__ import annotations

import asyncio
from types import TracebackType

from bot.core import texts
from bot.core.usecases.refused import Refused


class ChatQueue:
    """The waiting turns of every conversation (by bot.chat.service.conversation_key)."""

    def __init__(self, most_waiting: int) -> None:
        self.most_waiting = most_waiting
        self._lines: dict[str, list[Place]] = {}

    def ahead(self, key: str) -> int:
        """Turns of this conversation answering or waiting now."""
        return len(self._lines.get(key, ()))

    def join(self, key: str) -> Place | Refused:
        """A place in this conversation's line, or Refused when too many wait already."""
        line = self._lines.get(key, [])
        if len(line) > self.most_waiting:
            return Refused(texts.CHAT_QUEUE_FULL)
        place = Place(self, key, tuple(line))
        self._lines[key] = [*line, place]
        return place

    def _leave(self, place: Place) -> None:
        line = [p for p in self._lines.get(place.key, []) if p is not place]
        if line:
            self._lines[place.key] = line
        else:
            self._lines.pop(place.key, None)


class Place:
    """`async with place:` waits until every place taken before it has been given back (in
    the order they were taken, whoever asks first), and gives this one back after."""

    def __init__(self, queue: ChatQueue, key: str, earlier: tuple[Place, ...]) -> None:
        self.key = key
        self.ahead = len(earlier)
        self._queue = queue
        self._earlier = earlier
        self._done = asyncio.Event()

    @property
    def note(self) -> str | None:
        """What to tell the user now: the queued note when turns are ahead, else None."""
        return texts.CHAT_QUEUED.format(n=self.ahead) if self.ahead else None

    def leave(self) -> None:
        """Give the place back (unused, or after the answer); twice is harmless."""
        if not self._done.is_set():
            self._done.set()
            self._queue._leave(self)

    async def __aenter__(self) -> Place:
        try:
            for place in self._earlier:
                await place._done.wait()
        except BaseException:  # cancelled while waiting: the place is free again
            self.leave()
            raise
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:  # fmt: skip
        self.leave()
