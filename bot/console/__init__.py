"""The web console (网页控制台): an aiohttp application for operators, in Chinese.

Mount it with `bot.console.app.build_console_app(services, access)` on
CONSOLE_HOST:CONSOLE_PORT; the login core it shares with the platforms' /console command is
bot/core/console_auth.py. It imports no platform adapter (tests/test_core_boundaries.py).
"""
