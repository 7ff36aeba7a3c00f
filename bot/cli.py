"""``sosbot``: run the bot, the sandbox console, the demo, migrations and the secretariat's offline tools."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.config import ConfigError, Settings, load_settings

if TYPE_CHECKING:
    from bot.adapters.console import ConsoleChat
    from bot.app import App
    from bot.sandbox import SandboxPerson

log = logging.getLogger("sosbot")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sosbot", description="SOS bot for a network's Solidarity System")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run every configured platform (sandbox mode when none is)")
    run.add_argument(
        "--as",
        dest="person",
        default=None,
        help="sandbox person for the console (default: the secretariat member reading SOS_DEFAULT_LANGUAGE)",
    )
    web = commands.add_parser(
        "web",
        help="PostgreSQL, several processes: serve webhooks, Slack and the dashboard; no outbox worker, no jobs",
    )
    worker = commands.add_parser(
        "worker",
        help="PostgreSQL, several processes: deliver the outbox and run the periodic jobs (HTTP: /healthz, /metrics)",
    )
    worker.add_argument(
        "--poll",
        type=float,
        default=None,
        metavar="SECONDS",
        help="how often an idle worker looks for due rows when no notification wakes it (default 1)",
    )
    for command in (run, web, worker):  # tests and benchmarks pace against emulators whose clock is shrunk
        command.add_argument("--time-scale", type=float, default=None, help=argparse.SUPPRESS)
    console = commands.add_parser("console", help="chat with the bot in the terminal as a sandbox person")
    console.add_argument(
        "--as", dest="person", required=True, help="sandbox person (amina, lucia, rafael, ...)"
    )
    demo = commands.add_parser(
        "demo", help="play the whole workflow on both emulators and print the transcript"
    )
    demo.add_argument("--database-url", default=None, help="play in this database (default: a temporary one)")
    demo.add_argument("--port", type=int, default=0, help="HTTP port (default: a free one)")
    commands.add_parser("migrate", help="upgrade the database to the latest schema")
    commands.add_parser("gen-key", help="print a new key for SOS_DATA_KEY")
    export = commands.add_parser("export-letter", help="write a letter and its signatories as CSV and HTML")
    export.add_argument("reference")
    export.add_argument(
        "--language",
        default=None,
        help="the export's language: en, es, fr, ar or pt, or its name (default: the letter's first)",
    )
    export.add_argument("--out", default=".", help="folder to write REF.csv and REF.html into")
    commands.add_parser(
        "purge", help="remove sensitive fields of cases closed longer ago than SOS_RETENTION_DAYS"
    )
    commands.add_parser("rotate-key", help="re-encrypt every sensitive field under the newest SOS_DATA_KEY")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``sosbot`` console script."""
    args = _parser().parse_args(argv)
    from bot.logs import configure_logging

    configure_logging(args.verbose)  # libraries stay at WARNING even with -v: their lines carry content
    if args.command == "gen-key":
        from storage.crypto import generate_key

        print(generate_key())
        return 0
    try:
        settings = load_settings()
    except ConfigError as error:
        print(f"sosbot: configuration error: {error}", file=sys.stderr)
        return 2
    if settings.sandbox and args.command in ("run", "console") and sys.stdin.isatty() and not args.verbose:
        logging.getLogger().setLevel(
            logging.WARNING
        )  # a person at the prompt reads the chat, not start-up logs
    if args.command == "migrate":
        from storage.migrate import upgrade

        upgrade(settings.database_url)
        if (refused := asyncio.run(_check_key(settings))) is not None:
            return refused
        print("database is up to date")
        return 0
    if args.command == "demo":
        from bot.demo import run_demo

        return asyncio.run(run_demo(settings, args.database_url, args.port))
    try:
        return asyncio.run(_run_async(args, settings))
    except KeyboardInterrupt:  # Ctrl-C before the console took over the signal (while migrating, starting)
        return 0


SPLIT_NEEDS_POSTGRES = (
    "sosbot: '{command}' is one of several processes sharing a PostgreSQL database; with SQLite "
    "(SOS_DATABASE_URL={url}) one process does everything: use 'sosbot run'"
)
SPLIT_NEEDS_PLATFORM = (
    "sosbot: '{command}' serves the configured platforms and none is (set SOS_TELEGRAM_TOKEN or "
    "SOS_SLACK_BOT_TOKEN); 'sosbot run' starts sandbox mode"
)


def _split_refusal(command: str, settings: Settings) -> str | None:
    """Why ``web``/``worker`` cannot run with ``settings`` (one line), or None when they can."""
    from bot.core.locks import is_postgres

    if command not in ("web", "worker"):
        return None
    if not is_postgres(settings.database_url):
        return SPLIT_NEEDS_POSTGRES.format(command=command, url=settings.database_url)
    if settings.sandbox:
        return SPLIT_NEEDS_PLATFORM.format(command=command)
    return None


async def _run_async(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import build_app
    from bot.core.collector import tune_collector
    from bot.core.i18n import translator
    from bot.core.locks import exclusive
    from bot.web import PortTaken
    from storage.migrate import upgrade_async

    if (refusal := _split_refusal(args.command, settings)) is not None:
        print(refusal, file=sys.stderr)
        return 2
    async with exclusive(settings.database_url, "migrate"):  # processes starting together migrate once
        await upgrade_async(settings.database_url)
    app = build_app(settings, getattr(args, "time_scale", None))
    tune_collector()
    try:
        if (refused := await _verify_key(app)) is not None:
            return refused
        if args.command == "export-letter":
            return await _export_letter(app, args.reference, args.language, args.out)
        if args.command in ("purge", "rotate-key"):
            return await _data_protection(app, args.command)
        if args.command == "console":
            if not settings.sandbox:
                print("sosbot: the console is for sandbox mode (no platform token set)", file=sys.stderr)
                return 2
            return await _console(app, args.person)
        if args.command == "run" and settings.sandbox:
            return await _sandbox(app, args.person)
        from bot.core.outbox import WorkerConfig
        from bot.runner import EVERYTHING, WEB_ONLY, WORKER_ONLY, run_platforms

        roles = {"web": WEB_ONLY, "worker": WORKER_ONLY}.get(args.command, EVERYTHING)
        poll = getattr(args, "poll", None)
        return await run_platforms(app, roles, None if poll is None else WorkerConfig(idle_poll=poll))
    except PortTaken as taken:
        t = translator(settings.default_language)
        message = t.gettext(
            "sosbot: port {port} on {host} is taken: stop what uses it, or set SOS_HTTP_PORT to a free port.",
            port=str(taken.port),
            host=taken.host,
        )
        print(message, file=sys.stderr)
        return 2
    finally:
        await app.close()


async def _check_key(settings: Settings) -> int | None:
    from bot.app import build_app

    app = build_app(settings)
    try:
        return await _verify_key(app)
    finally:
        await app.close()


async def _verify_key(app: object) -> int | None:
    """None when the configured key opens the database; else print one line and return the exit code."""
    from bot.app import App
    from storage.crypto import active_keyring
    from storage.keycheck import KeyCheckError, verify_data_key

    assert isinstance(app, App)
    try:
        await verify_data_key(app.sessions, active_keyring())
    except KeyCheckError as error:
        print(f"sosbot: {error}", file=sys.stderr)
        return 2
    return None


async def _export_letter(app: object, reference: str, language: str | None, out: str) -> int:
    from pathlib import Path

    from bot.app import App
    from bot.config import LANGUAGES
    from handlers.letter_render import body_for, export_csv, export_html, export_language
    from storage.letter_export import write_private_files
    from storage.letters import LetterRepository

    assert isinstance(app, App)
    async with app.sessions() as session:
        letters = LetterRepository(session)
        letter = await letters.by_reference(reference)
        if letter is None:
            print(f"sosbot: no letter has the reference {reference.upper()}", file=sys.stderr)
            return 2
        texts = await letters.texts(letter.id)
        if not texts:
            print(f"sosbot: {letter.reference} has no text yet", file=sys.stderr)
            return 2
        chosen = export_language(language, texts)
        if chosen is None:
            print(
                f"sosbot: cannot export in {language!r}; choose one of: {', '.join(LANGUAGES)}",
                file=sys.stderr,
            )
            return 2
        body = body_for(texts, chosen, app.settings.default_language)
        signatories = await letters.signatories(letter.id)
    files = {
        f"{letter.reference}.csv": export_csv(chosen, signatories),
        f"{letter.reference}.html": export_html(letter, body, chosen, signatories),
    }
    await asyncio.to_thread(write_private_files, Path(out), files)
    folder = out
    print(
        f"wrote {letter.reference}.csv and {letter.reference}.html ({len(signatories)} signatories) to {folder}"
    )
    return 0


async def _data_protection(app: object, command: str) -> int:
    from bot.app import App
    from storage.cases import purge_closed
    from storage.crypto import DecryptionError, active_keyring
    from storage.rotation import rotate_keys

    assert isinstance(app, App)
    if command == "rotate-key":
        try:
            count = await rotate_keys(app.sessions, active_keyring())
        except DecryptionError as error:
            print(f"sosbot: rotate-key stopped: {error} (add its key to SOS_DATA_KEY)", file=sys.stderr)
            return 2
        print(f"re-encrypted {count} value(s) under the newest key; the older keys may now be dropped")
        return 0
    async with app.sessions() as session, session.begin():
        count = await purge_closed(session, app.settings.retention_days)
    print(
        f"purged the sensitive fields of {count} case(s) closed more than {app.settings.retention_days} days ago"
    )
    return 0


async def _sandbox(app: App, key: str | None) -> int:
    """``sosbot run`` in sandbox mode: the emulators, the web server, the worker, and a console with a guide."""
    from bot.adapters.console_io import Console
    from bot.core.i18n import translator
    from bot.runner import console_delivery, sandbox
    from bot.sandbox import dashboard_line, find, guide, host
    from storage.models import Role

    person = find(key) if key else host(app.settings.default_language)
    chat = await _console_chat(app, key or (person.key if person else ""))
    console = Console(chat)
    wanted = app.settings.http_port
    async with sandbox(app):
        port = app.settings.http_port  # the port it serves on: another one when the wanted one was taken
        if wanted and port != wanted:
            t = translator(app.settings.default_language)
            console.show(
                t.gettext(
                    "Port {wanted} is taken: the sandbox listens on port {port} instead.",
                    wanted=str(wanted),
                    port=str(port),
                )
            )
        if person is not None and person.role is Role.SECRETARIAT:
            console.show(guide(person))
            console.show(await dashboard_line(app.sessions, app.settings, person.key))
        elif console.interactive:
            console.show(_hint(app, chat.display_name, person))
        async with console_delivery(app, chat):
            return await console.run()


async def _console(app: App, key: str) -> int:
    """``sosbot console --as KEY``: chat as one sandbox person, receiving what is sent to them meanwhile."""
    from bot.adapters.console_io import Console
    from bot.runner import console_delivery
    from bot.sandbox import find

    chat = await _console_chat(app, key)
    console = Console(chat)
    if console.interactive:
        console.show(_hint(app, chat.display_name, find(key)))
    async with console_delivery(app, chat):
        return await console.run()


async def _console_chat(app: App, key: str) -> ConsoleChat:
    from bot.adapters.console import ConsoleChat
    from bot.sandbox import HOSTS, find, seed

    person = find(key)
    await seed(app.sessions, also=[person] if person in HOSTS else [])
    log.info("sandbox mode: chatting as %s", person.name if person else key)
    return ConsoleChat(app.dispatcher, key.casefold(), person.name if person else key)


def _hint(app: App, name: str, person: SandboxPerson | None) -> str:
    from bot.sandbox import hint

    return hint(name, person.language if person else app.settings.default_language)
