"""OneBot v11 (QQ through NapCat, LLOneBot, Lagrange): the adapter's lower layers.

Platform rules this package guarantees (the wiring into the core builds on them):
- it imports nothing from `bot.tg` or Telegram and holds no user-facing texts;
- `transport`: the bot is the reverse-WebSocket server, the OneBot implementation connects
  to it as a Universal client; tokens are checked per the spec; reconnects replace the old
  connection and action calls wait (bounded) for the connection to come back;
- `segments`: array-format message segments, built and read; command parsing with the
  Chinese aliases; `plaintext`: Markdown answers as readable plain text, split for QQ;
  `pacing`: send pacing per chat and per account (QQ punishes bursts).
See docs/qq.md for the layers and what remains to wire.
"""
