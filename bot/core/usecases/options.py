"""Whether a request's options can be run, asked before anything is spent.

Rules: the providers that may run the request (first, or as a fallback) each say what they
take (GenerationProvider.option_problem, bot/core/providers/registry.py); the user reads why not in
Chinese, and nothing was reserved or paid.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.core import texts
from bot.core.providers.base import GenerationRequest
from bot.core.usecases.refused import Refused

if TYPE_CHECKING:
    from bot.core.services import Services

PROBLEM_TEXTS = {
    "vip_sizes": texts.DRAW_BAD_COMBINATION_VIP,
    "4k_vip_size": texts.DRAW_BAD_COMBINATION_4KVIP,
}


def option_refusal(services: Services, request: GenerationRequest) -> Refused | None:
    """Refused (with the Chinese reason) when a provider that may run `request` does not take
    its options; None when they can be run."""
    problem = services.providers.option_problem(request)
    if problem is None:
        return None
    return Refused(PROBLEM_TEXTS.get(problem, texts.ERR_BAD_REQUEST))
