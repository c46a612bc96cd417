"""One exception hierarchy for every upstream failure; handlers map each class to Chinese text.

Messages never contain keys or full URLs with credentials: they are built here from status codes.
"""

from __future__ import annotations


class ProviderError(Exception):
    """Base of all upstream failures. `retryable` failures may succeed on another host/provider."""

    retryable = False

    def __init__(self, detail: str = "", *, status: int | None = None) -> None:
        super().__init__(detail or self.__class__.__name__)
        self.detail = detail
        self.status = status


class AuthError(ProviderError):
    """401: the key is wrong or missing."""


class CreditsExhausted(ProviderError):
    """402 or the provider's own 'not enough credits' answer."""


class KeyForbidden(ProviderError):
    """403: the key is disabled or may not use this model."""


class RateLimited(ProviderError):
    """429 from the provider."""

    retryable = True


class ServerError(ProviderError):
    """5xx from the provider."""

    retryable = True


class Unreachable(ProviderError):
    """The host could not be reached (DNS, connect, TLS)."""

    retryable = True


class NotSent(Unreachable):
    """The request provably never left this process or never reached the host (connection
    refused, DNS, connect or pool timeout): safe to send again, elsewhere too."""


class Timeout(ProviderError):
    """The provider did not answer in time."""

    retryable = True


class StreamDropped(ProviderError):
    """A streamed answer ended without its terminator."""


class BadRequest(ProviderError):
    """4xx other than the above: our request was refused (bad model, bad image, too long…)."""


class ModerationRejected(ProviderError):
    """The provider's content check refused the input or the output."""

    def __init__(self, stage: str, detail: str = "") -> None:
        super().__init__(detail or stage)
        self.stage = stage  # "input" | "output"


class TaskFailed(ProviderError):
    """A generation task ended as failed for another reason."""


class TaskNotFound(ProviderError):
    """The provider does not know the task id (expired or never created)."""


class ResultExpired(ProviderError):
    """The result URL is no longer valid (the provider keeps results for 2 hours)."""


def error_for_status(status: int, detail: str = "") -> ProviderError:
    """Map an HTTP status to the matching error class."""
    if status == 401:
        return AuthError(detail, status=status)
    if status == 402:
        return CreditsExhausted(detail, status=status)
    if status == 403:
        return KeyForbidden(detail, status=status)
    if status == 429:
        return RateLimited(detail, status=status)
    if status >= 500:
        return ServerError(detail, status=status)
    return BadRequest(detail, status=status)


class AmbiguousSubmit(StreamDropped):
    """A submit got a 2xx answer without a usable task id: the task may exist upstream, so it
    must be neither retried nor moved to another provider (that could pay twice)."""
