"""画廊 and the media routes: result thumbnails in a grid, the files themselves on request;
a job's reference images (thumbnails and the files).

Files are served only from inside BOT_DATA_DIR/media (results) or BOT_DATA_DIR (references,
named by job and number, never by a path in the URL): a path with `..`, an absolute path or a
link leading outside is refused (404) before anything is opened.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from aiohttp import web

from bot.console import queries
from bot.console.render import CONSOLE, error_page, render
from bot.console.thumbs import path_key, thumbnail
from bot.core import identity, texts


def add_routes(app: web.Application) -> None:
    app.router.add_get("/gallery", gallery)
    app.router.add_get("/thumb/{job:\\d+}/{index:\\d+}", thumb)
    app.router.add_get("/media/{path:.+}", media)
    app.router.add_get("/ref/{job:\\d+}/{index:\\d+}", reference)
    app.router.add_get("/thumb/ref/{job:\\d+}/{index:\\d+}", reference_thumb)


def media_link(media_dir: Path, path: str) -> str | None:
    """/media/<path inside the media folder>, or None for a file stored elsewhere."""
    try:
        relative = Path(path).resolve().relative_to(media_dir.resolve())
    except (ValueError, OSError):
        return None
    return "/media/" + relative.as_posix()


def inside_media(media_dir: Path, raw: str) -> Path | None:
    """The file `raw` names inside the media folder, or None for anything else."""
    parts = PurePosixPath(raw.replace("\\", "/")).parts
    if not parts or raw.startswith("/") or any(p in ("..", ".", "") for p in parts):
        return None
    if "\x00" in raw:
        return None
    root = media_dir.resolve()
    target = (root / Path(*parts)).resolve()
    if not target.is_relative_to(root) or not target.is_file():
        return None
    return target


def inside_data(data_dir: Path, raw: str, must_exist: bool = True) -> Path | None:
    """The file a job's request names, resolved (links followed), if it lies inside the data
    directory (and exists, unless `must_exist` is False); None for anything else."""
    if not raw or "\x00" in raw:
        return None
    try:
        root = data_dir.resolve()
        target = Path(raw).resolve()
    except (OSError, RuntimeError, ValueError):
        return None
    if not target.is_relative_to(root) or target == root:
        return None
    if must_exist and not target.is_file():
        return None
    return target


async def _reference_file(request: web.Request) -> Path | web.Response:
    """The reference the URL names (job, number), resolved inside BOT_DATA_DIR (it may have
    been removed by retention since); a 404 page for no such job or number, or a path
    outside."""
    console = request.app[CONSOLE]
    job = await console.services.jobs.get(int(request.match_info["job"]))
    index = int(request.match_info["index"])
    if job is None or index >= len(job.request.references):
        return error_page(request, 404, texts.CONSOLE_UI["not_found"])
    raw = str(job.request.references[index])
    found = inside_data(console.services.settings.bot_data_dir, raw, must_exist=False)
    return found if found is not None else error_page(request, 404, texts.CONSOLE_UI["not_found"])


async def reference(request: web.Request) -> web.StreamResponse:
    found = await _reference_file(request)
    if isinstance(found, web.Response):
        return found
    if not found.is_file():
        return error_page(request, 404, texts.CONSOLE_UI["reference_removed"])
    return web.FileResponse(found)


async def reference_thumb(request: web.Request) -> web.StreamResponse:
    found = await _reference_file(request)
    if isinstance(found, web.Response):
        return found
    made = await thumbnail(found, request.app[CONSOLE].thumbs, path_key(str(found)))
    if made is None:
        gone = not found.is_file()  # retention removed it (and its thumbnail just now)
        return error_page(request, 404, texts.CONSOLE_UI["reference_removed" if gone
                                                          else "not_found"])  # fmt: skip
    response = web.FileResponse(made)
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


async def media(request: web.Request) -> web.StreamResponse:
    console = request.app[CONSOLE]
    target = inside_media(console.services.settings.media_dir, request.match_info["path"])
    if target is None:
        return error_page(request, 404, texts.CONSOLE_UI["not_found"])
    response = web.FileResponse(target)
    if request.query.get("download"):
        response.headers["Content-Disposition"] = f'attachment; filename="{target.name}"'
    return response


async def thumb(request: web.Request) -> web.StreamResponse:
    console = request.app[CONSOLE]
    job = await console.services.jobs.get(int(request.match_info["job"]))
    index = int(request.match_info["index"])
    if job is None or index >= len(job.files) or job.kind != "image":
        return error_page(request, 404, texts.CONSOLE_UI["not_found"])
    saved = job.files[index]
    link = media_link(console.services.settings.media_dir, saved.path)
    if link is None:
        return error_page(request, 404, texts.CONSOLE_UI["not_found"])
    made = await thumbnail(Path(saved.path), console.thumbs, saved.sha256)
    if made is None:
        return error_page(request, 404, texts.CONSOLE_UI["file_removed"])
    response = web.FileResponse(made)
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


async def gallery(request: web.Request) -> web.Response:
    console = request.app[CONSOLE]
    q = request.query
    kind = q.get("kind", "") if q.get("kind", "") in ("image", "video") else ""
    user_text = q.get("user", "").strip()
    try:
        user = identity.parse(user_text) if user_text else None
    except ValueError:
        user = None
    before = q.get("before", "")
    found, more = await queries.gallery_jobs(
        console.services.db, kind, user, int(before) if before.isdecimal() and len(before) < 19
        else None,
    )  # fmt: skip
    media_dir = console.services.settings.media_dir
    tiles = [
        {"job": job, "index": index, "link": media_link(media_dir, saved.path),
         "present": Path(saved.path).is_file(), "video": job.kind == "video"}
        for job in found
        for index, saved in enumerate(job.files)
    ]  # fmt: skip
    return render(request, "gallery.html", nav="gallery", tiles=tiles, more=more,
                  last=found[-1].id if found else None, kind=kind,
                  user_text=user_text)  # fmt: skip
