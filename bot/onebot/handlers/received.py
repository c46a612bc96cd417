"""Pictures and clips QQ users send, fetched onto local disk as carefully as a provider's
result (bot/core/media/download.py).

Rules:
- a URL from a segment (or from get_image / get_file) passes the same URL policy as result
  downloads: http(s) only, the checked address is the one dialled, every redirect hop is
  checked before it is requested; the only private address allowed is the host the OneBot
  implementation connected from (it serves the files users send); metadata and link-local
  addresses never;
- a path NapCat reports (its own cache on this host) is size- and type-checked before use
  and copied through the same cap, in chunks, never read whole;
- pictures are capped at DRAW_MAX_REFERENCE_MB, clips at ROLE_MAX_VIDEO_MB; what goes wrong
  is a Chinese sentence for the user, the details go to the log.
"""

from __future__ import annotations

import ipaddress
import logging
import time
import uuid
from pathlib import Path
from typing import Literal

from bot.core import texts
from bot.core.media.download import UrlPolicy, copy_file, download_result
from bot.core.platform import download_failed_text
from bot.core.providers import errors
from bot.onebot.capabilities import QQ
from bot.onebot.context import QQContext
from bot.onebot.protocol import segments as seg
from bot.onebot.protocol.transport import OneBotError

log = logging.getLogger(__name__)

MB = 1024 * 1024
# A user is waiting: transient failures (5xx, resets) are retried this long, then the user is
# told the download failed and may send the file again.
FETCH_WINDOW = 20.0
KIND_NAMES = texts.LOG_MEDIA_KIND_NAMES  # for the log lines


def napcat_policy(adapter: QQContext) -> UrlPolicy:
    """Public addresses, plus the addresses the OneBot implementation connected from."""
    trusted = set()
    for peer in adapter.server.peer_addresses():
        try:
            ip = ipaddress.ip_address(peer.split("%", 1)[0])
        except ValueError:
            continue
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        trusted.add(ip)
    return UrlPolicy(trusted=frozenset(trusted))


async def save_picture(adapter: QQContext, source: seg.MediaSource) -> Path | str:
    """A QQ picture (its URL, or get_image's URL or local path) saved under media/refs, or the
    Chinese reason it cannot be used."""
    max_mb = adapter.settings.draw_max_reference_mb
    url, local = source.url, None
    if not url and source.file:
        try:
            info = await adapter.server.get_image(source.file)
        except OneBotError:
            log.info(texts.LOG_QQ_GET_IMAGE_FAILED, exc_info=True)
            return download_failed_text(QQ)
        url = str(info.get("url") or "")
        local = str(info.get("file") or "") if not url else None
    problems = {
        "too_big": texts.DRAW_REFERENCE_TOO_BIG.format(limit_mb=max_mb),
        "wrong_kind": texts.DRAW_REFERENCE_NOT_IMAGE,
        "failed": download_failed_text(QQ),
    }
    refs = adapter.settings.media_dir / "refs"
    return await _save(adapter, url, local, refs, "image", max_mb, problems)


async def save_clip(adapter: QQContext, source: seg.MediaSource) -> Path | str:
    """A user's clip (its URL, or NapCat's get_file URL or local path) saved under
    media/clips, or the Chinese reason it cannot be used."""
    limit_mb = adapter.settings.role_max_video_mb
    url, local = source.url, None
    if not url and source.file:
        try:  # NapCat's get_file (an extension): where the received file is
            found = dict(await adapter.server.call("get_file", {"file": source.file}) or {})
        except OneBotError:
            found = {}
        url = str(found.get("url") or "")
        local = str(found.get("file") or "") if not url else None
    problems = {
        "too_big": texts.ROLE_VIDEO_TOO_BIG.format(limit_mb=limit_mb),
        "wrong_kind": texts.ROLE_VIDEO_NOT_VIDEO,
        "failed": texts.ROLE_VIDEO_DOWNLOAD_FAILED,
    }
    clips = adapter.settings.media_dir / "clips"
    return await _save(adapter, url, local, clips, "video", limit_mb, problems)


async def _save(
    adapter: QQContext, url: str | None, local: str | None, folder: Path,
    kind: Literal["image", "video"], limit_mb: int, problems: dict[str, str],
) -> Path | str:  # fmt: skip
    dest = folder / f"{uuid.uuid4().hex}.{'mp4' if kind == 'video' else 'img'}"
    try:
        if url and url.startswith(("http://", "https://")):
            saved = await download_result(
                adapter.services.http, url, dest, kind=kind, max_bytes=limit_mb * MB,
                policy=napcat_policy(adapter), retry_until=time.time() + FETCH_WINDOW,
            )  # fmt: skip
        elif local and Path(local).is_absolute():
            saved = await copy_file(Path(local), dest, kind=kind, max_bytes=limit_mb * MB)
        else:
            log.info(texts.LOG_QQ_MEDIA_NOWHERE, KIND_NAMES[kind])
            return problems["failed"]
    except errors.BadRequest as exc:
        if str(exc) == "result too large":
            return problems["too_big"]
        log.info(texts.LOG_QQ_MEDIA_REFUSED, KIND_NAMES[kind], exc)
        return problems["failed"]
    except errors.TaskFailed as exc:
        if str(exc) in ("invalid image", "invalid video"):
            return problems["wrong_kind"]
        log.info(texts.LOG_QQ_MEDIA_REFUSED, KIND_NAMES[kind], exc)
        return problems["failed"]
    except (errors.ProviderError, OSError) as exc:
        log.info(texts.LOG_QQ_MEDIA_DOWNLOAD_FAILED, KIND_NAMES[kind], type(exc).__name__)
        return problems["failed"]
    if kind == "image":  # the reference keeps the extension of what it really is
        final = dest.with_suffix("." + saved.mime.split("/")[1])
        saved.path.rename(final)
        return final
    return saved.path
