"""Direct replies under the platforms' published limits: a burst of presses loses no answer.

The emulator enforces Telegram's limits (30 messages/s overall, short bursts then about one a second per
private chat, 20 a minute per group) on a clock running ``SCALE`` times real time; the bot paces on the same
clock, so the test takes a fraction of the real seconds while every limit keeps its shape.
"""

from __future__ import annotations

import asyncio

from bot.adapters.emulators.telegram import TelegramEmulator, User
from bot.adapters.telegram.render import callback_data
from bot.app import build_app
from bot.core.events import Button
from storage.models import Identity, Letter, Organisation, Person, Role
from tests.adapters.telegram_fixtures import start_bot
from tests.conftest import make_settings

SCALE = 0.05
MEMBERS = 300
GROUP = -100500


async def test_300_members_pressing_sign_in_a_group_within_3_seconds_all_get_their_private_confirmation(
    sqlite_url: str,
) -> None:
    app = build_app(make_settings(sqlite_url), time_scale=SCALE)
    emulator = TelegramEmulator(rate_limits=True, time_scale=SCALE)
    bot = await start_bot(app, "webhook", emulator=emulator)
    try:
        members = [User(300_000 + n, f"Member {n}", "es") for n in range(MEMBERS)]
        async with app.sessions() as session, session.begin():
            letter = Letter(reference="CL-0000-001", addressee="Fiscalía", status="published")
            session.add(letter)
            for n, user in enumerate(members):
                organisation = Organisation(
                    name=f"Org {n}", name_key=f"org {n}", country="Mexico", verified=True
                )
                session.add(organisation)
                await session.flush()
                person = Person(
                    display_name=user.first_name,
                    role=Role.MEMBER,
                    organisation_id=organisation.id,
                    membership_confirmed=True,
                    language="es",
                )
                session.add(person)
                await session.flush()
                session.add(
                    Identity(
                        person_id=person.id,
                        platform="telegram",
                        workspace="",
                        user_id=str(user.id),
                        private_chat_id=str(user.id),
                    )
                )
        emulator.group(GROUP, "Red DESC Américas")
        sign = {"text": "Firmar", "callback_data": callback_data(Button("Firmar", "sign", str(letter.id)))}
        copy = emulator.bot_message(GROUP, "✍️ Carta colectiva", {"inline_keyboard": [[sign]]})

        async def press(n: int, user: User) -> None:
            await asyncio.sleep(3.0 * SCALE * n / MEMBERS)  # 300 presses within 3 seconds (scaled)
            await emulator.press(user, copy, sign["callback_data"])

        await asyncio.gather(*(press(n, user) for n, user in enumerate(members)))
        await emulator.wait_for(lambda: all(emulator.messages_in(user.id) for user in members), timeout=60)
        confirmations = [emulator.messages_in(user.id) for user in members]
        assert all(
            len(messages) == 1 for messages in confirmations
        )  # each got it once: none lost, none twice
        assert all((m[0].visible or "").startswith("Esto publicará: Org ") for m in confirmations)
        assert len(emulator.callback_answers) == MEMBERS  # every press was answered ("confirma en privado")
        assert emulator.rate_limit_hits == 0  # paced below the limits, not rescued by retries
    finally:
        await bot.close()
        await app.close()
