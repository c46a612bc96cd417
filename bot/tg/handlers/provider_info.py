"""What /settings says about providers: the routing order and who served the user last.

Users are told which provider served them only here (and in /model), never unasked.
"""

from __future__ import annotations

from bot.core import texts
from bot.core.services import Services


def _names(route: list[str]) -> str:
    return " → ".join(texts.PROVIDER_NAMES.get(n, n) for n in route) or "—"


async def provider_summary(svc: Services, user_id: int) -> str:
    routes = svc.providers.routes
    text = texts.SETTINGS_PROVIDERS.format(
        chat=_names(svc.providers.chat.order),
        image=_names(routes.get("image", [])),
        video=_names(routes.get("video", [])),
    )
    served = svc.chat.served.get(user_id)
    if served:
        provider = texts.PROVIDER_NAMES.get(served[0], served[0])
        text += texts.SETTINGS_LAST_SERVED.format(kind=texts.SERVED_KIND_NAMES["chat"],
                                                  provider=provider)  # fmt: skip
    for kind in ("image", "video"):
        name = texts.SERVED_KIND_NAMES[kind]
        async with svc.db.conn.execute(
            "SELECT provider FROM jobs WHERE user_id = ? AND kind = ? AND state = 'done' "
            "ORDER BY id DESC LIMIT 1",
            (user_id, kind),
        ) as cur:
            row = await cur.fetchone()
        if row:
            text += texts.SETTINGS_LAST_SERVED.format(
                kind=name, provider=texts.PROVIDER_NAMES.get(row[0], row[0])
            )
    return text
