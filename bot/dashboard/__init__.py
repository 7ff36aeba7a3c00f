"""The secretariat's web dashboard, served under ``/dashboard/`` by the bot's own aiohttp server.

Pages are rendered on the server (Jinja2 through aiohttp-jinja2) in the five languages; no script is needed.
A secretariat member logs in with a one-time link the bot sends in a private chat (``DASHBOARD``); the session
lives in the database. Each feature's web routes live beside its chat handlers and call the same operations,
through a :class:`bot.core.context.Context` whose chat is the browser (see :mod:`bot.dashboard.visit`).
"""
