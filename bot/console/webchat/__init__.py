"""网页对话 (web chat): the third way to use the bot, beside Telegram and QQ.

A platform adapter like bot/tg and bot/onebot, mounted on the console's aiohttp application
(it shares its sessions, CSRF check and security headers): `capabilities.py` declares
Capabilities(name="web"), `events.py` shows jobs and delivers their results to open pages
(registered in the events router for "web"), `chat.py` turns a message into a core chat turn,
`jobs.py` turns the 画图 / 视频 buttons into jobs, `media.py` serves a user's own files.
It imports no other adapter (tests/test_core_boundaries.py).
"""
