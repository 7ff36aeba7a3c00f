"""The aiohttp server of DESIGN.md: platform webhooks, ``/healthz``, ``/metrics`` and the ``/dashboard/``.

``/healthz`` answers 503 with its reasons (JSON) when the store does not answer, when this process's outbox
worker is down or its heartbeat is stale, or when an urgent message has waited longer than
``SOS_URGENT_ALERT_MINUTES``; 200 otherwise. Reasons name kinds and ages, never content or a DSN.
"""

from __future__ import annotations

import errno
from collections.abc import Iterable, Sequence

from aiohttp import web

from bot.app import App
from bot.core import metrics
from bot.core.delivery import PlatformAdapter
from bot.core.supervise import Heartbeat
from bot.dashboard.links import PREFIX
from bot.dashboard.site import build_dashboard
from handlers import build_web_routes
from storage.outbox_health import QueueSnapshot, snapshot

HEARTBEAT_STALE_AFTER = 30.0  # seconds without a worker round before /healthz fails


def build_web_app(
    app: App,
    adapters: Iterable[PlatformAdapter],
    heartbeat: Heartbeat | None = None,
    *,
    stale_after: float = HEARTBEAT_STALE_AFTER,
) -> web.Application:
    """An aiohttp application serving every adapter's routes plus health and metrics.

    Args:
        app: the process's shared parts.
        adapters: whose webhook routes to serve.
        heartbeat: the outbox worker's, when this process runs one (checked by ``/healthz``).
        stale_after: seconds after which a silent heartbeat makes ``/healthz`` fail.
    """
    web_app = web.Application(client_max_size=1024 * 1024)
    routes: list[web.RouteDef] = []
    platforms: list[str] = []
    for adapter in adapters:
        routes.extend(adapter.routes())
        platforms.append(adapter.platform)

    async def queue() -> QueueSnapshot | None:
        try:
            async with app.sessions() as session:
                return await snapshot(session)
        except Exception:  # the reason may contain a DSN; report only that the store is down
            return None

    async def healthz(_request: web.Request) -> web.Response:
        found = await queue()
        reasons: list[str] = []
        body: dict[str, object] = {"platforms": platforms, "sandbox": app.settings.sandbox}
        if found is None:
            reasons.append("store unreachable")
        else:
            waited = found.oldest_urgent()
            limit = app.settings.urgent_alert_minutes * 60
            body["oldest_urgent_seconds"] = None if waited is None else round(waited)
            if waited is not None and waited > limit:
                reasons.append(
                    f"an urgent message has waited {waited / 60:.0f} min (limit {limit / 60:g} min)"
                )
        if heartbeat is not None:
            body["heartbeat_age_seconds"] = round(heartbeat.age(), 1)
            if not heartbeat.running:
                reasons.append("outbox worker not running")
            elif heartbeat.age() > stale_after:
                reasons.append(f"outbox worker heartbeat stale ({heartbeat.age():.0f} s)")
        if reasons:
            return web.json_response({"status": "error", "reasons": reasons, **body}, status=503)
        return web.json_response({"status": "ok", **body})

    async def metrics_page(_request: web.Request) -> web.Response:
        metrics.observe_queue(await queue())
        metrics.observe_heartbeat(None if heartbeat is None else heartbeat.age())
        return web.Response(body=metrics.render(), content_type="text/plain", charset="utf-8")

    async def to_dashboard(_request: web.Request) -> web.Response:
        raise web.HTTPPermanentRedirect(f"{PREFIX}/")

    web_app.add_routes(
        [
            web.get("/healthz", healthz),
            web.get("/metrics", metrics_page),
            web.get(PREFIX, to_dashboard),
            *routes,
        ]
    )
    web_app.add_subapp(PREFIX, build_dashboard(app, build_web_routes()))
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
