"""The aiohttp server of DESIGN.md: platform webhooks, ``/healthz`` and ``/metrics``."""

from __future__ import annotations

import errno
from collections.abc import Iterable, Sequence

from aiohttp import web
from sqlalchemy import text

from bot.app import App
from bot.core import metrics
from bot.core.delivery import PlatformAdapter


def build_web_app(app: App, adapters: Iterable[PlatformAdapter]) -> web.Application:
    """An aiohttp application serving every adapter's routes plus health and metrics."""
    web_app = web.Application(client_max_size=1024 * 1024)
    routes: list[web.RouteDef] = []
    platforms: list[str] = []
    for adapter in adapters:
        routes.extend(adapter.routes())
        platforms.append(adapter.platform)

    async def healthz(_request: web.Request) -> web.Response:
        try:
            async with app.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception:  # the reason may contain a DSN; report only that the store is down
            return web.json_response({"status": "error", "store": "unreachable"}, status=503)
        return web.json_response({"status": "ok", "platforms": platforms, "sandbox": app.settings.sandbox})

    async def metrics_page(_request: web.Request) -> web.Response:
        return web.Response(body=metrics.render(), content_type="text/plain", charset="utf-8")

    web_app.add_routes([web.get("/healthz", healthz), web.get("/metrics", metrics_page), *routes])
    return web_app


class PortTaken(Exception):
    """Another process already listens on the HTTP port."""

    def __init__(self, host: str, port: int) -> None:
        super().__init__(f"{host}:{port}")
        self.host, self.port = host, port


async def start_site(web_app: web.Application, host: str, port: int) -> web.AppRunner:
    """Start serving ``web_app``; the caller cleans the returned runner up.

    Raises:
        PortTaken: the port is in use (the caller decides: a free port in sandbox mode, else stop).
    """
    runner = web.AppRunner(web_app, access_log=None)  # access logs would record ids in webhook paths
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as error:
        await runner.cleanup()
        if error.errno == errno.EADDRINUSE:
            raise PortTaken(host, port) from None
        raise
    return runner


def bound_port(runner: web.AppRunner) -> int:
    """The port a site listens on (useful when started on port 0)."""
    sites: Sequence[web.BaseSite] = list(runner.sites)
    server = getattr(sites[0], "_server", None)
    sockets = getattr(server, "sockets", None) or []
    return int(sockets[0].getsockname()[1])
