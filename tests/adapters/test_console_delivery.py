"""The console as a platform the outbox delivers to: pushed messages, their buttons, edits and deletes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date

from sqlalchemy import select

from bot.adapters.console import ConsoleChat
from bot.app import App
from bot.core.codec import encode
from bot.core.events import Button
from bot.core.outbox_api import Outbox
from bot.runner import console_delivery
from storage.models import Delivery
from storage.outbox import OutboxRepository, Target
from tests.handlers.test_reports import full_report
from tests.support import chat, people

REF = f"SOS-{date.today().year}-0001"
SIGN = Button("Firmar", "sign", "1")


async def until(condition: Callable[[], bool]) -> None:
    """Wait for the console's worker (a bound on the wait, not an assertion on time)."""
    for _ in range(400):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the console never showed it")


def shown(person: ConsoleChat, text: str) -> Callable[[], bool]:
    return lambda: any(text in line for line in person.lines())


async def test_the_relay_crosses_between_two_consoles_with_buttons_to_press(app: App) -> None:
    await people(app)
    amina = chat(app, "amina")  # secretariat, Arabic
    rafael = await full_report(app, "rafael")  # defender, Portuguese
    assert isinstance(rafael, ConsoleChat)
    await rafael.press_button(
        next(b for row in rafael.last_buttons for b in row if b.action == "report-send")
    )
    async with console_delivery(app, amina), console_delivery(app, rafael):
        await until(shown(amina, f"بلاغ تهديد جديد \u2068{REF}\u2069"))  # the triage alert, in her language
        assert amina.last_buttons[0][0].label == "فتح"
        assert await amina.say(f"/reply {REF} Estamos com você") == [
            f"أُرسلت إلى صاحب البلاغ \u2068{REF}\u2069."
        ]
        await until(shown(rafael, "Estamos com você"))
        assert (
            rafael.lines()[-1]
            == f"bot> Mensagem do secretariado sobre {REF}:\nEstamos com você\n[#1 Responder]"
        )
        assert await rafael.press(1) == [f"Escreva sua mensagem para {REF} (ou CANCELAR)."]
        await rafael.say("Obrigado, estamos em segurança")
        await until(shown(amina, f"كتب صاحب البلاغ \u2068{REF}\u2069 مجددًا"))
        for _ in range(100):  # the relay's own deletion (Rafael's typed message) leaves last
            async with app.sessions() as session:
                waiting = (
                    (
                        await session.execute(
                            select(Delivery).where(
                                Delivery.chat_id.in_(["dm-amina", "dm-rafael"]), Delivery.status != "sent"
                            )
                        )
                    )
                    .scalars()
                    .all()
                )
            if not waiting:
                break
            await asyncio.sleep(0.05)
    assert "Obrigado" not in "\n".join(amina.lines())  # the reporter's words stay on the case, not in chats
    async with app.sessions() as session:
        rows = (await session.execute(select(Delivery).where(Delivery.platform == "console"))).scalars().all()
    # None failed "platform not configured": Sam's console is not open, so his alerts wait for him.
    assert {(r.chat_id, r.status) for r in rows} == {
        ("dm-amina", "sent"),
        ("dm-rafael", "sent"),
        ("dm-sam", "pending"),
    }


async def test_edits_are_shown_marked_and_deletes_show_nothing(app: App) -> None:
    await people(app)
    lucia = chat(app, "lucia")
    target = Target("console", "dm-lucia", "es")
    async with app.sessions() as session, session.begin():
        outbox = OutboxRepository(session)
        await outbox.enqueue("letter:1", target, encode("Carta colectiva: 1 firma"))
        await outbox.enqueue("appeal:9", target, encode("Llamamiento urgente", [[SIGN]]))
    async with console_delivery(app, lucia):
        await until(shown(lucia, "Llamamiento urgente"))
        async with app.sessions() as session, session.begin():
            await Outbox(session).edit_all(
                "letter:1", lambda _: ("Carta colectiva: 2 firmas", ()), revision=2
            )
            delete = await OutboxRepository(session).enqueue(
                "appeal:9", target, encode(""), revision=2, operation="delete"
            )
        assert delete is not None
        await until(shown(lucia, "(edited) Carta colectiva: 2 firmas"))
        states: dict[int, str] = {}

        async def refresh() -> None:
            async with app.sessions() as session:
                row = await session.get(Delivery, delete.id)
                states[delete.id] = row.status if row else "done and removed"

        for _ in range(400):  # the delete is delivered too, and a deletion that is done keeps no row
            await refresh()
            if states[delete.id] == "done and removed":
                break
            await asyncio.sleep(0.05)
    assert states[delete.id] == "done and removed"
    assert lucia.lines() == [
        "bot> Carta colectiva: 1 firma",
        "bot> Llamamiento urgente\n[#1 Firmar]",
        "bot> (edited) Carta colectiva: 2 firmas",  # and nothing for the delete
    ]
    assert lucia.last_buttons == ((SIGN,),)  # an older message's edit leaves the latest buttons pressable
