"""A web-chat user's own files: pictures they attached and their jobs' results.

Rules: an attached picture is checked (an image by its bytes, at most DRAW_MAX_REFERENCE_MB)
and saved as BOT_DATA_DIR/media/web/<chat id>/<sha256>.<ext>; it is served only to that
same web identity, by a bare file name (no `/`, no `..`). A result is served by job and index
only to the web identity whose chat the job belongs to, and only from inside the media folder.
Anything else is 404, the same answer as a file that does not exist (nothing to probe).
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from pathlib import Path

from aiohttp import web
from aiohttp.web_request import FileField
from multidict import MultiDictProxy

from bot.console.gallery import inside_media, media_link
from bot.console.render import error_page
from bot.console.webchat.context import webchat_of, who
from bot.core import texts
from bot.core.media.download import sniff_mime

MB = 1024 * 1024
FORM_MARGIN = 64 * 1024  # the text and options posted with a picture
UPLOAD_NAME = re.compile(r"^[0-9a-f]{64}\.(jpg|png|gif|webp)$")
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp"}


def add_routes(app: web.Application) -> None:
    app.router.add_get("/chat/upload/{name}", upload)
    app.router.add_get("/chat/result/{job:\\d+}/{index:\\d+}", result)


async def read_form(request: web.Request) -> MultiDictProxy[str | bytes | FileField] | str:
    """The posted form, a picture of up to DRAW_MAX_REFERENCE_MB included (the console's
    other forms keep their small limit); the Chinese reason when the body is too large."""
    settings = webchat_of(request).console.services.settings
    limit = settings.draw_max_reference_mb * MB + FORM_MARGIN
    try:
        return await request.clone(client_max_size=limit).post()
    except web.HTTPRequestEntityTooLarge:
        return texts.DRAW_REFERENCE_TOO_BIG.format(limit_mb=settings.draw_max_reference_mb)


def uploads_dir(media_dir: Path, chatter: int) -> Path:
    return media_dir / "web" / str(chatter)


def upload_url(name: str) -> str:
    return f"/chat/upload/{name}"


async def save_upload(request: web.Request, field: object) -> tuple[Path, bytes, str] | str | None:
    """The attached picture saved (path, bytes, mime); a Chinese reason it cannot be used;
    None when nothing was attached."""
    if not isinstance(field, FileField):
        return None
    settings = webchat_of(request).console.services.settings
    limit = settings.draw_max_reference_mb * MB
    data = field.file.read(limit + 1)
    if not data:
        return None
    if len(data) > limit:
        return texts.DRAW_REFERENCE_TOO_BIG.format(limit_mb=settings.draw_max_reference_mb)
    mime = sniff_mime(data[:64])
    if mime not in EXTENSIONS:
        return texts.DRAW_REFERENCE_NOT_IMAGE
    folder = uploads_dir(settings.media_dir, who(request).chatter)
    path = folder / f"{hashlib.sha256(data).hexdigest()}.{EXTENSIONS[mime]}"

    def write() -> None:
        folder.mkdir(parents=True, exist_ok=True)
        if not path.is_file():
            path.write_bytes(data)

    await asyncio.to_thread(write)
    return path, data, mime


def not_found(request: web.Request) -> web.Response:
    return error_page(request, 404, texts.CONSOLE_UI["not_found"])


async def upload(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    if not UPLOAD_NAME.match(name):
        return not_found(request)
    media_dir = webchat_of(request).console.services.settings.media_dir
    own = uploads_dir(media_dir, who(request).chatter).relative_to(media_dir)
    target = inside_media(media_dir, f"{own.as_posix()}/{name}")
    return not_found(request) if target is None else web.FileResponse(target)


async def result(request: web.Request) -> web.StreamResponse:
    services = webchat_of(request).console.services
    job = await services.jobs.get(int(request.match_info["job"]))
    index = int(request.match_info["index"])
    if job is None or job.chat_id != who(request).chatter or index >= len(job.files):
        return not_found(request)
    link = media_link(services.settings.media_dir, job.files[index].path)
    target = inside_media(services.settings.media_dir, link.removeprefix("/media/")) if link else (
        None)  # fmt: skip
    return not_found(request) if target is None else web.FileResponse(target)
