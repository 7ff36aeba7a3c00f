"""``sosbot``: run the bot, the sandbox console, the demo, migrations and the secretariat's offline tools."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from bot.config import ConfigError, Settings, load_settings

log = logging.getLogger("sosbot")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sosbot", description="SOS bot for a network's Solidarity System")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run every configured platform (sandbox mode when none is)")
    run.add_argument("--as", dest="person", default="amina", help="sandbox person for the console")
    console = commands.add_parser("console", help="chat with the bot in the terminal as a sandbox person")
    console.add_argument(
        "--as", dest="person", required=True, help="sandbox person (amina, lucia, rafael, ...)"
    )
    commands.add_parser("demo", help="play a scripted scenario and print the transcript")
    commands.add_parser("migrate", help="upgrade the database to the latest schema")
    commands.add_parser("gen-key", help="print a new key for SOS_DATA_KEY")
    export = commands.add_parser("export-letter", help="write a letter and its signatories as CSV and HTML")
    export.add_argument("reference")
    export.add_argument(
        "--language", default=None, help="the letter's language for the HTML (default: its first)"
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
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)  # migration chatter drowns the console
    logging.getLogger("httpx").setLevel(logging.WARNING)  # its request lines carry the bot token in the URL
    if args.command == "gen-key":
        from storage.crypto import generate_key

        print(generate_key())
        return 0
    try:
        settings = load_settings()
    except ConfigError as error:
        print(f"sosbot: configuration error: {error}", file=sys.stderr)
        return 2
    if args.command == "migrate":
        from storage.migrate import upgrade

        upgrade(settings.database_url)
        print("database is up to date")
        return 0
    return asyncio.run(_run_async(args, settings))


async def _run_async(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import build_app
    from storage.migrate import upgrade_async

    await upgrade_async(settings.database_url)
    app = build_app(settings)
    try:
        if args.command == "export-letter":
            return await _export_letter(app, args.reference, args.language, args.out)
        if args.command in ("purge", "rotate-key"):
            return await _data_protection(app, args.command)
        if args.command == "demo":
            from bot.demo import play

            return await play(app)
        if args.command == "console":
            if not settings.sandbox:
                print("sosbot: the console is for sandbox mode (no platform token set)", file=sys.stderr)
                return 2
            return await _console(app, args.person)
        if args.command == "run" and settings.sandbox:
            from bot.runner import sandbox

            async with sandbox(app):
                return await _console(app, args.person)
        from bot.runner import run_platforms

        return await run_platforms(app)
    finally:
        await app.close()


async def _export_letter(app: object, reference: str, language: str | None, out: str) -> int:
    from pathlib import Path

    from bot.app import App
    from handlers.letter_render import export_html
    from storage.letter_export import to_csv
    from storage.letters import LetterRepository

    assert isinstance(app, App)
    async with app.sessions() as session:
        letters = LetterRepository(session)
        letter = await letters.by_reference(reference)
        if letter is None:
            print(f"sosbot: no letter has the reference {reference.upper()}", file=sys.stderr)
            return 2
        texts = await letters.texts(letter.id)
        chosen = language if language in texts else next(iter(texts))
        signatories = await letters.signatories(letter.id)
    files = {
        f"{letter.reference}.csv": to_csv(signatories),
        f"{letter.reference}.html": export_html(letter, texts[chosen], chosen, signatories),
    }
    await asyncio.to_thread(_write_files, Path(out), files)
    folder = out
    print(
        f"wrote {letter.reference}.csv and {letter.reference}.html ({len(signatories)} signatories) to {folder}"
    )
    return 0


def _write_files(folder: object, files: dict[str, str]) -> None:
    from pathlib import Path

    assert isinstance(folder, Path)
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (folder / name).write_text(content, encoding="utf-8")


async def _data_protection(app: object, command: str) -> int:
    from bot.app import App
    from storage.cases import purge_closed, reencrypt_all

    assert isinstance(app, App)
    async with app.sessions() as session, session.begin():
        if command == "purge":
            count = await purge_closed(session, app.settings.retention_days)
            print(
                f"purged the sensitive fields of {count} case(s) closed more than {app.settings.retention_days} days ago"
            )
        else:
            count = await reencrypt_all(session)
            print(f"re-encrypted {count} field(s) under the newest key")
    return 0


async def _console(app: object, key: str) -> int:
    from bot.adapters.console import ConsoleChat, run_console
    from bot.app import App
    from bot.sandbox import find, seed

    assert isinstance(app, App)
    await seed(app.sessions)
    person = find(key)
    log.info("sandbox mode: chatting as %s", person.name if person else key)
    chat = ConsoleChat(app.dispatcher, key.casefold(), person.name if person else key)
    return await run_console(chat)
