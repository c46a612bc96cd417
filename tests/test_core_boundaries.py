"""The layout is the architecture, enforced by folder (docs/architecture.md draws it).

- bot/core/ (conversations, jobs, providers, storage, access, texts, use cases) imports no
  platform library, no adapter and not the runtime;
- bot/tg/, bot/onebot/ and bot/console/ are adapters: none imports another, nor the runtime that
  owns them (only its interface, bot/runtime/host.py and http.py);
- adapters reach providers only through their interface (base, errors, registry), never a
  provider's own module (grsai_tasks, reshi, ...): what a provider accepts it declares;
- the two chat platforms share one sub-layout: app.py (the runtime's peer), capabilities.py,
  context.py and the packages handlers/ → outbound/ → protocol/, each importing only itself
  and the ones to its right, plus capabilities.py and context.py (which read no handler);
- no module of bot/ takes part in an import circle, counting imports inside functions (a
  hidden import is still a circle);
- every adapter declares its Capabilities (bot/core/platform.py), and they differ where the
  platforms do.
"""

from __future__ import annotations

import ast
from pathlib import Path

BOT = Path(__file__).resolve().parent.parent / "bot"
CORE = "bot.core"
ADAPTERS = ("bot.tg", "bot.onebot", "bot.console")
CHAT_PLATFORMS = ("bot.tg", "bot.onebot")
# Libraries only an adapter or the runtime may use.
PLATFORM_LIBRARIES = ("telegram", "websockets", "aiohttp", "jinja2")
LAYERS = ("handlers", "outbound", "protocol")  # each may import only those after it
SHARED = ("capabilities", "context")  # every layer may read them; they read below handlers
SUB_LAYOUT = {"__init__.py", "app.py", *(f"{m}.py" for m in SHARED), *LAYERS}


def _modules() -> dict[str, Path]:
    """Dotted module name → file, for every module under bot/."""
    modules: dict[str, Path] = {}
    for path in BOT.rglob("*.py"):
        parts = path.relative_to(BOT.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = path
    return modules


def _imported(name: str, path: Path) -> list[str]:
    """Every module `name` imports, anywhere in the file (also inside functions), with
    relative imports resolved and `from pkg import module` counted as importing the module."""
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found += [module] + [f"{module}.{alias.name}" for alias in node.names]
    return found


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            for nxt in edges:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component: list[str] = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        circles.append(sorted(component))
    return circles


def _under(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def test_the_core_imports_no_platform_adapter_or_runtime() -> None:
    modules = _modules()
    core = {name: path for name, path in modules.items() if _under(name, CORE)}
    assert len(core) > 50
    forbidden = (*PLATFORM_LIBRARIES, *ADAPTERS, "bot.runtime")
    offenders = [
        f"{name}: {imported}"
        for name, path in core.items()
        for imported in _imported(name, path)
        if any(_under(imported, f) for f in forbidden)
    ]
    assert offenders == []
    # Nothing of the old flat layout is left beside the four folders.
    loose = sorted(p.name for p in BOT.iterdir() if p.suffix == ".py" or
                   (p.is_dir() and p.name not in ("core", "runtime", "tg", "onebot", "console",
                                                  "__pycache__")))  # fmt: skip
    assert loose == ["__init__.py", "__main__.py"]


def test_the_chat_platforms_share_one_sub_layout_and_its_layers() -> None:
    for platform in CHAT_PLATFORMS:
        folder = BOT / platform.split(".")[1]
        found = {p.name for p in folder.iterdir() if p.name != "__pycache__"}
        assert found == SUB_LAYOUT, platform
    modules = _modules()
    offenders = []
    for platform in CHAT_PLATFORMS:
        for name, path in modules.items():
            if not _under(name, platform) or name.split(".")[2:3] == ["app"]:
                continue
            own = name.split(".")[2] if name.count(".") >= 2 else ""
            # The shared holders (the connection, the pacer, the limits) sit on outbound.
            allowed = LAYERS[LAYERS.index(own) :] if own in LAYERS else LAYERS[1:]
            for imported in _imported(name, path):
                if not _under(imported, platform) or imported == platform:
                    continue
                part = imported.split(".")[2]
                if part in SHARED or part in allowed:
                    continue
                offenders.append(f"{name}: {imported}")
    assert offenders == []


def _offenders(package: str, forbidden: tuple[str, ...]) -> list[str]:
    modules = _modules()
    return [
        f"{name}: {imported}"
        for name, path in modules.items()
        if name == package or name.startswith(package + ".")
        for imported in _imported(name, path)
        if imported in forbidden or imported.startswith(tuple(f + "." for f in forbidden))
    ]


def test_the_use_cases_are_core_and_import_no_platform() -> None:
    found = _offenders("bot.core.usecases", (*PLATFORM_LIBRARIES, *ADAPTERS, "bot.runtime"))
    assert (BOT / "core" / "usecases" / "launch.py").exists() and found == []


# What adapters may use of the providers: the interface every provider offers.
PROVIDER_INTERFACE = ("bot.core.providers", "bot.core.providers.base", "bot.core.providers.errors",
                      "bot.core.providers.registry")  # fmt: skip


def _provider_internals(package: str) -> list[str]:
    internal = tuple(
        name for name in _modules()
        if name.startswith("bot.core.providers.") and name not in PROVIDER_INTERFACE
    )  # fmt: skip
    return _offenders(package, internal)


def test_adapters_import_no_provider_internal_module() -> None:
    assert "bot.core.providers.grsai_tasks" in _modules()
    for adapter in ADAPTERS:
        assert _provider_internals(adapter) == [], adapter


def test_the_checks_see_a_use_case_importing_a_platform_and_an_adapter_a_provider() -> None:
    import tempfile

    global BOT
    saved = BOT
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "bot"
        for package in ("tg/handlers", "core/usecases", "core/providers"):
            (root / package).mkdir(parents=True)
        (root / "core" / "usecases" / "launch.py").write_text(
            "from bot.tg.handlers.common import services\n"
        )
        (root / "tg" / "handlers" / "common.py").write_text("x = 1\n")
        (root / "tg" / "handlers" / "draw.py").write_text(
            "from bot.core.providers.base import GenerationRequest\n"
            "from bot.core.providers.grsai_tasks import check_image_options\n"
        )
        (root / "core" / "providers" / "base.py").write_text("x = 1\n")
        (root / "core" / "providers" / "grsai_tasks.py").write_text("x = 1\n")
        BOT = root
        try:
            assert _offenders("bot.core.usecases", ADAPTERS) == [
                "bot.core.usecases.launch: bot.tg.handlers.common",
                "bot.core.usecases.launch: bot.tg.handlers.common.services",
            ]
            assert _provider_internals("bot.tg") == [
                "bot.tg.handlers.draw: bot.core.providers.grsai_tasks",
                "bot.tg.handlers.draw: bot.core.providers.grsai_tasks.check_image_options",
            ]
        finally:
            BOT = saved


def test_no_adapter_imports_another_or_the_runtime_that_owns_them() -> None:
    """Platforms are peers under the runtime: an adapter may use the core and the runtime's
    interface (bot.runtime.host, bot.runtime.http), never another adapter or the runtime
    itself (which imports them all)."""
    for adapter in ADAPTERS:
        others = tuple(a for a in ADAPTERS if a != adapter)
        owners = ("bot.runtime.runtime", "bot.runtime.main")
        assert _offenders(adapter, (*others, *owners)) == [], adapter


def test_the_adapter_check_sees_an_import_of_another_adapter() -> None:
    import tempfile

    global BOT
    saved = BOT
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "bot"
        (root / "tg").mkdir(parents=True)
        (root / "onebot").mkdir()
        (root / "tg" / "app.py").write_text("from bot.onebot.app import attach\n")
        (root / "onebot" / "app.py").write_text("x = 1\n")
        BOT = root
        try:
            found = _offenders("bot.tg", ("bot.onebot",))
            assert found == ["bot.tg.app: bot.onebot.app",
                             "bot.tg.app: bot.onebot.app.attach"]
        finally:
            BOT = saved


def test_the_console_imports_no_platform_adapter() -> None:
    """The web console is beside the platforms, not on top of them: it works through the
    core (AccessControl, the runner) and its own login core (bot/core/console_auth.py)."""
    modules = _modules()
    found = [
        f"{name}: {imported}"
        for name, path in modules.items()
        if name.startswith("bot.console")
        for imported in _imported(name, path)
        if any(_under(imported, p) for p in ("telegram", *CHAT_PLATFORMS))
    ]
    assert any(name.startswith("bot.console.") for name in modules) and found == []
    # ... and no platform imports the console app (only its login core).
    for name, path in modules.items():
        if name.startswith(("bot.tg", "bot.onebot")):
            assert not any(m.startswith("bot.console.") or m == "bot.console"
                           for m in _imported(name, path)), name  # fmt: skip


def test_bot_package_has_no_import_circles() -> None:
    modules = _modules()
    graph = {
        name: {m for m in _imported(name, path) if m in modules and m != name}
        for name, path in modules.items()
    }
    assert _circles(graph) == []


def test_circle_finder_finds_a_circle_through_three_modules() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _circles(graph) == [["a", "b", "c"]]


# --- the platform interface (bot/core/platform.py) -------------------------------------------


def test_each_adapter_declares_capabilities_that_differ_where_the_platforms_do() -> None:
    from bot.core import identity
    from bot.core.platform import MB, Capabilities
    from bot.onebot.capabilities import QQ
    from bot.tg.capabilities import TELEGRAM

    assert isinstance(TELEGRAM, Capabilities) and isinstance(QQ, Capabilities)
    # The name is the identity namespace jobs are routed by.
    assert TELEGRAM.name == identity.platform_of(-1001234) == "telegram"
    assert QQ.name == identity.platform_of(identity.qq_group(123456)) == "qq"
    # Telegram edits, drafts, buttons and formats; QQ can do none of it and punishes floods.
    for can in ("edits_messages", "drafts", "inline_buttons", "rich_text"):
        assert getattr(TELEGRAM, can) is True and getattr(QQ, can) is False, can
    assert QQ.sparse_progress and not TELEGRAM.sparse_progress
    assert (TELEGRAM.max_text_length, QQ.max_text_length) == (4096, 4500)
    assert TELEGRAM.max_photo_bytes == 10 * MB
    assert (TELEGRAM.max_inline_video_bytes, QQ.max_inline_video_bytes) == (50 * MB, 100 * MB)


def test_telegram_upload_limit_follows_the_deployment() -> None:
    from pydantic import SecretStr

    from bot.core.config import Settings
    from bot.core.platform import MB
    from bot.tg.capabilities import capabilities

    def settings(**values: object) -> Settings:
        return Settings(_env_file=None, telegram_bot_token=SecretStr("123:abc"), **values)  # type: ignore[call-arg]

    assert capabilities(settings()).max_inline_video_bytes == 50 * MB
    assert capabilities(settings(telegram_upload_limit_mb=20)).max_upload_bytes == 20 * MB
    local = capabilities(settings(telegram_local_mode=True))
    assert local.max_inline_video_bytes == local.max_upload_bytes == 2000 * MB
    assert local.edits_messages and local.name == "telegram"


def test_telegram_job_events_offer_what_the_core_asks_of_a_platform() -> None:
    from bot.core.platform import ChatPlatform
    from bot.tg.outbound.job_events import TelegramJobEvents

    wanted = {
        name for name in vars(ChatPlatform) if not name.startswith("_")
    } | {"on_change", "deliver", "close", "capabilities"}
    offered = set(dir(TelegramJobEvents)) | {"capabilities"}  # set in __init__
    assert wanted <= offered
    assert "capabilities" in TelegramJobEvents.__init__.__code__.co_varnames


async def test_a_lone_platform_is_routed_under_the_name_its_capabilities_declare() -> None:
    from bot.core.jobs.events_router import router_of
    from bot.onebot.capabilities import QQ

    class Events:
        capabilities = QQ

        async def on_change(self, job: object) -> None: ...

        async def deliver(self, job: object) -> None: ...

        async def close(self) -> None: ...

    events = Events()
    router = router_of(events)
    assert router.platforms == {"qq": events}
    assert router_of(router) is router and router_of(None).platforms == {}


def test_telegram_handlers_read_typed_state_not_string_keys() -> None:
    """Telegram's shared state is a class (bot/tg/context.py, PTB's ContextTypes), like QQ's
    QQContext: no handler indexes bot_data with a string."""
    found = [
        f"{path.relative_to(BOT)}:{n}"
        for path in sorted((BOT / "tg").rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "bot_data[" in line or "bot_data.get(" in line or "bot_data.setdefault(" in line
        or "ContextTypes.DEFAULT_TYPE" in line
    ]
    assert found == []
