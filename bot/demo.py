"""``sosbot demo``: the network's real workflow on both loopback emulators, printed as a transcript.

A defender reports a threat on Telegram (in Portuguese) and their answers disappear from the chat; the
triage channel on Slack gets the minimal alert; the secretariat (Sam on Slack in English, Amina on Telegram
in Arabic) assigns the case and talks with the reporter through the bot; an urgent appeal is drafted from
the case, translated, approved by a second member and delivered to Telegram groups and a Slack channel with
its live status; a member says "I acted"; a collective letter is signed by organisations on both platforms
with live counts, one signature is withdrawn, and the letter is exported.

Everything goes through the real python-telegram-bot and slack-bolt/slack-sdk clients, the HTTP server, the
dispatcher, the store and the outbox worker. It runs in its own temporary database on a free port unless
told otherwise, and exits non-zero when a step gets no answer.
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import TextIO

from sqlalchemy import select

from bot.adapters.emulators.slack import SlackEmulator, SlackMessage, SlackUser
from bot.adapters.emulators.telegram import TelegramEmulator, User
from bot.adapters.emulators.telegram_model import Message
from bot.app import App, build_app
from bot.config import SecretariatIdentity, Settings
from bot.demo_stage import Change, Stage
from bot.runner import sandbox
from handlers import letter_common
from storage.models import Case, Identity, Letter, Organisation

RAFAEL = User(7101, "Rafael", "pt-br")  # a defender in Brazil, on Telegram
AMINA = User(7102, "Amina", "ar")  # secretariat, on Telegram, reads Arabic
LUCIA = User(7103, "Lucía", "es")  # member (ProDESC, Mexico), on Telegram
SAM = SlackUser("U0SAM", "Sam", "en-GB")  # secretariat, on Slack
AWA = SlackUser("U0AWA", "Awa", "fr-FR")  # member (Comité des femmes rurales, Senegal), on Slack
GROUP_ES, GROUP_AR = -100201, -100202  # Telegram member groups
AFRICA, TRIAGE = "C0AFRICA", "C0TRIAGE"  # Slack channels
PACING_SCALE = 0.05  # the demo's emulators enforce no limits: pace 20× faster so the story reads in seconds
CL_MARK = "✍️"  # a letter's copy starts with it
COUNT_WINDOW = (
    2.0  # seconds: letters' count edits coalesce over a shorter window, so the transcript shows them
)


@contextlib.asynccontextmanager
async def _own_database(url: str | None) -> AsyncIterator[str]:
    """``url`` as given, or a fresh SQLite file in a temporary folder removed afterwards."""
    from storage.migrate import upgrade_async

    if url is not None:
        await upgrade_async(url)
        yield url
        return
    with tempfile.TemporaryDirectory(prefix="sosbot-demo-") as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'demo.db'}"
        await upgrade_async(url)
        yield url


async def run_demo(
    settings: Settings, database_url: str | None = None, port: int = 0, out: TextIO | None = None
) -> int:
    """Play the scenario in its own database (unless ``database_url``) on ``port`` (0: a free one)."""
    out = out or sys.stdout
    letter_common.COUNT_WINDOW = timedelta(seconds=COUNT_WINDOW)
    async with _own_database(database_url) as url:
        app = build_app(
            replace(
                settings,
                database_url=url,
                http_port=port,
                secretariat=(
                    SecretariatIdentity("slack", "T0SANDBOX", SAM.id),
                    SecretariatIdentity("telegram", "", str(AMINA.id)),
                ),
            ),
            time_scale=PACING_SCALE,
        )
        try:
            return await play(app, out)
        finally:
            await app.close()


async def play(app: App, out: TextIO) -> int:
    """Play the whole scenario on ``app``; 0 when every step got its answer."""
    async with sandbox(app) as (telegram, slack):
        for user in (SAM, AWA):
            slack.add_user(user)
        stage = Stage(out, telegram, slack, app.sessions)
        _name_chats(stage, telegram)
        scenario = Scenario(stage, telegram, slack, app)
        try:
            await scenario.play()
            await stage.settle()
        except Exception as error:  # any step that went wrong fails the demo, with what it was
            out.write(f"\ndemo FAILED: {type(error).__name__}: {error}\n")
            return 1
    out.write(f"\ndemo finished: {stage.steps} steps, every one answered\n")
    return 0


def _name_chats(stage: Stage, telegram: TelegramEmulator) -> None:
    telegram.group(GROUP_ES, "Red DESC Américas")
    telegram.group(GROUP_AR, "شبكة المدافعين")
    for user, label in (
        (RAFAEL, "Rafael, defender"),
        (AMINA, "Amina, secretariat"),
        (LUCIA, "Lucía, ProDESC"),
    ):
        stage.name("telegram", user.id, f"[Telegram · {label}]")
    stage.name("telegram", GROUP_ES, "[Telegram group · Red DESC Américas (es)]")
    stage.name("telegram", GROUP_AR, "[Telegram group · شبكة المدافعين (ar)]")
    stage.name("slack", SlackEmulator.dm_channel(SAM), "[Slack · Sam, secretariat]")
    stage.name("slack", SlackEmulator.dm_channel(AWA), "[Slack · Awa, Comité des femmes rurales]")
    stage.name("slack", AFRICA, "[Slack #africa (fr)]")
    stage.name("slack", TRIAGE, "[Slack #sos-triage]")


async def _nothing() -> None:
    """Nobody acts: the stage only watches (e.g. for coalesced edits)."""


def _has(text: str) -> object:
    """An expectation: some new or edited message contains ``text``."""

    def check(found: list[Change]) -> bool:
        return any(text in change.message.text for change in found if change.kind != "deleted")

    return check


class Scenario:
    """The story, step by step; each method is one chapter."""

    def __init__(self, stage: Stage, telegram: TelegramEmulator, slack: SlackEmulator, app: App) -> None:
        self.stage, self.telegram, self.slack, self.app = stage, telegram, slack, app

    async def play(self) -> None:
        """Every chapter in order."""
        await self.network()
        case = await self.report()
        await self.triage(case)
        appeal = await self.appeal(case)
        await self.letter(appeal)

    # Helpers ---------------------------------------------------------------------------------------------

    async def tg(self, user: User, text: str, chat: int | None = None, expect: object = None) -> list[Change]:
        """A Telegram user writes ``text`` in their private chat (or a group)."""
        where = self.telegram.chats[chat] if chat is not None else None
        shown = self.stage.names.get(f"telegram:{chat}", "") if chat is not None else ""
        return await self.stage.act(
            f"{user.first_name} (Telegram{', in ' + shown if shown else ''})",
            text,
            lambda: self.telegram.user_says(user, text, where),
            expect,  # type: ignore[arg-type]
        )

    async def tg_press(self, user: User, chat: int, index: int = 0, contains: str = "") -> list[Change]:
        """A Telegram user presses button ``index`` of the bot's latest message (with buttons) in ``chat``."""
        message = self._tg_latest(chat, contains)
        button = message.buttons()[index]
        return await self.stage.act(
            f"{user.first_name} (Telegram)",
            f"presses [{button['text']}]",
            lambda: self.telegram.press(user, message, str(button["callback_data"])),
        )

    def _tg_latest(self, chat: int, contains: str = "") -> Message:
        return next(
            m
            for m in reversed(self.telegram.messages_in(chat))
            if m.buttons() and not m.deleted and contains in (m.visible or "")
        )

    async def sk(
        self, user: SlackUser, text: str, channel: str | None = None, expect: object = None
    ) -> list[Change]:
        """A Slack user types ``/sos text`` (in their DM, or in ``channel``)."""
        return await self.stage.act(
            f"{user.name} (Slack{', in ' + self.stage.names[f'slack:{channel}'] if channel else ''})",
            f"/sos {text}",
            lambda: self.slack.slash(user, text, channel),
            expect,  # type: ignore[arg-type]
        )

    async def sk_dm(self, user: SlackUser, text: str) -> list[Change]:
        """A Slack user writes in their DM with the bot."""
        return await self.stage.act(f"{user.name} (Slack)", text, lambda: self.slack.user_says(user, text))

    async def sk_press(
        self, user: SlackUser, channel: str, index: int = 0, contains: str = ""
    ) -> list[Change]:
        """A Slack user presses button ``index`` of the bot's latest message (with buttons) in ``channel``."""
        message: SlackMessage = next(
            m for m in reversed(self.slack.messages_in(channel)) if m.buttons() and contains in m.text
        )
        label = str(message.buttons()[index]["text"]["text"])
        return await self.stage.act(
            f"{user.name} (Slack)", f"presses [{label}]", lambda: self.slack.press(user, message, label)
        )

    async def _one(self, query: object) -> object:
        async with self.app.sessions() as session:
            return (await session.execute(query)).scalar_one()  # type: ignore[call-overload]

    async def person_number(self, platform: str, user_id: str) -> int:
        """The person number the secretariat types in commands (ASSIGN, VERIFY …)."""
        identity = await self._one(
            select(Identity).where(Identity.platform == platform, Identity.user_id == user_id)
        )
        assert isinstance(identity, Identity)
        return identity.person_id

    async def counts(self, count: str) -> None:
        """Wait for the coalesced count edits of the letter's copies to show ``count`` signatures."""

        def edited(found: list[Change]) -> bool:
            return any(c.kind == "edited" and f"\n{count} " in c.message.text for c in found)

        group = self.telegram.messages_in(GROUP_ES)
        if any(f"\n{count} " in (m.visible or "") and CL_MARK in (m.visible or "") for m in group[-1:]):
            return  # the window closed during the previous step, whose transcript shows the edits
        await self.stage.act(
            "(the bot)", "edits the count on every copy", _nothing, edited, timeout=COUNT_WINDOW * 3
        )

    # Chapters --------------------------------------------------------------------------------------------

    async def network(self) -> None:
        """Member channels and the triage channel are registered; two organisations join and are verified."""
        self.stage.narrate(
            "The secretariat registers member channels (each with its language) and the triage channel."
        )
        await self.tg(AMINA, "/channel member es americas", GROUP_ES)
        await self.tg(AMINA, "/channel member ar mena", GROUP_AR)
        await self.sk(SAM, "channel member fr africa", AFRICA)
        await self.sk(SAM, "channel triage", TRIAGE)
        await self.tg(
            AMINA, "/start"
        )  # her private chat with the bot: assignments and approvals reach her there
        self.stage.narrate("Two organisations join from chat, in Spanish on Telegram and in French on Slack.")
        await self.tg(LUCIA, "/start")
        await self.tg_press(LUCIA, LUCIA.id, 1)  # Español
        await self.tg(LUCIA, "UNIRSE")
        await self.tg(LUCIA, "ProDESC")
        await self.tg(LUCIA, "México")
        await self.sk_dm(AWA, "REJOINDRE")
        await self.sk_dm(AWA, "Comité des femmes rurales")
        await self.sk_dm(AWA, "Sénégal")
        for name in ("ProDESC", "Comité des femmes rurales"):
            organisation = await self._one(select(Organisation).where(Organisation.name == name))
            assert isinstance(organisation, Organisation)
            await self.sk(SAM, f"verify {organisation.id} all", expect=_has(name))

    async def report(self) -> str:
        """Rafael reports a threat in Portuguese; his answers leave the chat once the report is stored."""
        self.stage.narrate(
            "Rafael, a land defender in Pará, reports a threat in a private chat (Portuguese)."
        )
        me = RAFAEL.id
        await self.tg(RAFAEL, "/start")
        await self.tg_press(RAFAEL, me, 4)  # Português
        await self.tg(RAFAEL, "DENUNCIAR")
        await self.tg_press(RAFAEL, me, 0)  # who is at risk: me
        await self.tg(RAFAEL, "-")  # names
        await self.tg(RAFAEL, "Brasil")
        await self.tg(RAFAEL, "Altamira, Pará")
        await self.tg_press(RAFAEL, me, 2)  # physical attack or threat
        await self.tg(RAFAEL, "Homens armados cercaram a minha casa depois da audiência sobre a barragem.")
        await self.tg(RAFAEL, "Ontem à noite")
        await self.tg_press(RAFAEL, me, 0)  # immediate danger
        await self.tg_press(RAFAEL, me, 2)  # protection
        await self.tg_press(RAFAEL, me, -2)  # done
        await self.tg_press(RAFAEL, me, -2)  # contact: only in this chat
        await self.tg_press(RAFAEL, me, 2)  # who may see it: the whole network
        await self.tg_press(RAFAEL, me, 1)  # names may be published: no
        self.stage.narrate(
            "Rafael checks the summary and sends it: the answers he typed are deleted from his chat."
        )
        await self.tg_press(RAFAEL, me, 0)  # send the report
        case = await self._one(select(Case))
        assert isinstance(case, Case)
        return case.reference

    async def triage(self, case: str) -> None:
        me = RAFAEL.id
        """The secretariat assigns the case and talks with Rafael through the bot, both ways."""
        amina = await self.person_number("telegram", str(AMINA.id))
        self.stage.narrate("Sam assigns the case to Amina and writes to the reporter; Rafael answers.")
        await self.sk(SAM, f"assign {case} {amina}")
        await self.sk(
            SAM, f"reply {case} We are contacting the Pará public defender. Are you somewhere safe?"
        )
        await self.tg_press(RAFAEL, me, 0, contains=case)  # answer
        await self.tg(RAFAEL, "Sim, estou na casa de um parente em Belém.")
        await self.tg(AMINA, f"/case {case}")

    async def appeal(self, case: str) -> str:
        """An appeal drafted from the case, translated, approved by a second member and delivered."""
        self.stage.narrate(
            "Sam drafts an urgent appeal from the case and translates it; the two-person rule is on."
        )
        await self.sk(SAM, f"case {case} appeal")
        from storage.models import Appeal

        appeal = await self._one(select(Appeal))
        assert isinstance(appeal, Appeal)
        reference = appeal.reference
        for language, title, text, action in (
            (
                "es",
                "Defensor amenazado en Pará",
                "Hombres armados rodearon su casa.",
                "Escriban al gobernador.",
            ),
            (
                "fr",
                "Défenseur menacé au Pará",
                "Des hommes armés ont encerclé sa maison.",
                "Écrivez au gouverneur.",
            ),
            ("ar", "تهديد مدافع في بارا", "حاصر مسلحون منزله.", "اكتبوا إلى الحاكم."),
        ):
            await self.sk(SAM, f"appeal translate {reference} {language}")
            for answer in (title, text, action):
                await self.sk_dm(SAM, answer)
        await self.sk(SAM, "settings two-person on")
        await self.sk(SAM, f"appeal send {reference}", expect=_has(reference))
        self.stage.narrate("Amina approves from Telegram: copies go out in each channel's language.")
        await self.tg(AMINA, f"/appeal approve {reference}", expect=_has(reference))
        self.stage.narrate("Lucía's group acted on the appeal.")
        await self.tg_press(LUCIA, GROUP_ES, 0, contains=reference)
        return reference

    async def letter(self, appeal: str) -> None:
        """A collective letter signed on both platforms, a withdrawal, and the export."""
        self.stage.narrate("Sam drafts a collective letter and publishes it to every member channel.")
        await self.sk(SAM, "letter new")
        await self.sk_dm(SAM, "Governor of Pará")
        await self.sk_dm(
            SAM, "We, the undersigned organisations, ask you to protect the defenders of Altamira."
        )
        await self.sk_dm(SAM, "-")
        await self.sk_press(SAM, SlackEmulator.dm_channel(SAM), 0)  # organisations sign
        letter = await self._one(select(Letter))
        assert isinstance(letter, Letter)
        reference = letter.reference
        for language, text in (
            ("es", "Las organizaciones firmantes le pedimos proteger a los defensores de Altamira."),
            ("fr", "Nous, organisations signataires, vous demandons de protéger les défenseurs d’Altamira."),
            ("ar", "نحن المنظمات الموقّعة نطالبكم بحماية المدافعين في ألتاميرا."),
        ):
            await self.sk(SAM, f"letter translate {reference} {language} {text}")
        await self.sk(SAM, f"letter publish {reference}", expect=_has(f"Publish {reference}"))
        await self.sk_press(SAM, SlackEmulator.dm_channel(SAM), 0, contains=reference)  # Publish
        self.stage.narrate("The two-person rule holds for letters too: Amina approves from Telegram.")
        await self.tg(AMINA, f"/letter approve {reference}", expect=_has(reference))
        self.stage.narrate(
            "Organisations sign from the button: Lucía in her Telegram group, Awa in the Slack channel."
        )
        await self.tg_press(LUCIA, GROUP_ES, 0, contains=reference)
        await self.tg_press(LUCIA, LUCIA.id, 0, contains="ProDESC")
        await self.counts("1")
        await self.sk_press(AWA, AFRICA, 0, contains=reference)
        await self.sk_press(AWA, SlackEmulator.dm_channel(AWA), 0, contains="Comité")
        await self.counts("2")
        self.stage.narrate("Lucía withdraws ProDESC's signature; the counts follow everywhere.")
        await self.tg(LUCIA, f"RETIRAR {reference}")
        await self.counts("1")
        self.stage.narrate("Sam exports the letter with its signatories.")
        await self.sk(SAM, f"letter export {reference}")
