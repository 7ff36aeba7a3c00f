"""Collective letters: drafting, publishing with a Sign button, signing for an organisation once whoever
presses, races, withdrawal, deadlines, forged buttons, live counts coalesced, reminders, thanks, export."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, timedelta
from html.parser import HTMLParser

from babel.dates import format_datetime
from sqlalchemy import select

from bot.app import App
from bot.core.codec import to_message
from bot.core.events import ActionEvent, Button
from handlers.letter_render import export_csv, export_html
from storage.letters import LetterRepository
from storage.models import Delivery, Identity, Letter, Person, Signature, utcnow
from tests.clock import YEAR
from tests.handlers.test_appeals import setup_network
from tests.support import chat, delivered_text
from tests.travel import python_m

SIGN = Button("Sign", "sign", "1")
REF = f"CL-{YEAR}-001"
FUTURE = f"{YEAR + 4}-01-31 12:00"


async def publish(app: App, mode: str = "Organisations") -> None:
    await setup_network(app)
    sam = chat(app, "sam")
    await sam.say("/letter new")
    await sam.say("Attorney General of Guatemala")
    await sam.say("We, member organisations of the network, call for the release of Ana López.")
    await sam.say(FUTURE)
    [saved] = await sam.press(mode)
    assert saved == f"{REF} saved. Next: LETTER translate, target, preview, then publish."
    await sam.say(
        f"/letter translate {REF} es Nosotras, organizaciones miembros de la red, pedimos la liberación de Ana López."
    )
    *_, confirm = await sam.say(f"/letter publish {REF}")
    assert confirm == f"Publish {REF} as shown above?"
    assert await sam.press("Publish") == [f"{REF} goes to 4 targets."]
    async with app.sessions() as session, session.begin():  # the worker delivered every copy
        for row in (await session.execute(select(Delivery))).scalars().all():
            row.status, row.platform_message_id = "sent", f"m-{row.id}"


async def second_prodesc_member(app: App) -> None:
    """Mateo, a second confirmed member of ProDESC (organisation #1), on another account."""
    await chat(app, "mateo", hint="es").say("/start")
    async with app.sessions() as session, session.begin():
        identity = (await session.execute(select(Identity).where(Identity.user_id == "mateo"))).scalar_one()
        mateo = await session.get(Person, identity.person_id)
        assert mateo is not None
        mateo.organisation_id, mateo.membership_confirmed = 1, True


async def test_publish_sign_once_per_organisation_withdraw_and_count(app: App) -> None:
    await publish(app)
    async with app.sessions() as session:
        rows = (await session.execute(select(Delivery))).scalars().all()
    spanish = to_message(next(r for r in rows if r.chat_id == "g-americas"))
    assert spanish.text.startswith(f"✍️ Carta colectiva {REF}\nA: Attorney General of Guatemala\n\nNosotras")
    assert spanish.text.endswith("0 organizaciones han firmado.") and spanish.buttons[0][0].label == "Firmar"

    lucia = chat(app, "lucia")
    [confirm] = await lucia.press_button(SIGN)
    assert confirm == "Esto publicará: ProDESC (Mexico). Su nombre solo se muestra si así lo elige."
    assert await lucia.press("Firmar por ProDESC") == [
        f"Firmado. ¡Gracias! Escriba RETIRAR {REF} para retirar la firma antes de la fecha límite."
    ]
    await second_prodesc_member(app)
    [already] = await chat(app, "mateo", hint="es").press_button(SIGN)
    assert already.startswith(f"ProDESC ya firmó {REF} el ")
    joseph = chat(app, "joseph")
    await joseph.press_button(SIGN)
    await joseph.press("Sign and show my name")
    async with app.sessions() as session:
        edits = (await session.execute(select(Delivery).where(Delivery.operation == "edit"))).scalars().all()
    english = await delivered_text(app, next(e for e in edits if e.language == "en"))
    assert len(edits) == 4 and len({e.revision for e in edits}) == 1  # one pending edit per copy, coalesced
    assert all(e.next_attempt_at > utcnow() for e in edits)  # held until the end of the 10-second window
    assert english.endswith("2 organisations have signed.")

    assert await lucia.say(f"/withdraw {REF}") == [
        f"Se retiró la firma de {REF}. Puede volver a firmar antes de la fecha límite."
    ]
    async with app.sessions() as session:
        edits = (await session.execute(select(Delivery).where(Delivery.operation == "edit"))).scalars().all()
        newest = max(
            (e for e in edits if e.language == "en"), key=lambda e: e.revision
        )  # a window may have turned
    assert (await delivered_text(app, newest)).endswith("1 organisation has signed.")
    await lucia.press_button(SIGN)
    assert (await lucia.press("Firmar por ProDESC"))[0].startswith("Firmado.")


async def test_two_members_pressing_at_once_give_one_signature(any_app: App) -> None:
    await publish(any_app)
    await second_prodesc_member(any_app)
    lucia, mateo = chat(any_app, "lucia"), chat(any_app, "mateo", hint="es")
    ok = Button("x", "sign-ok", "1:org")
    outcomes = await asyncio.gather(
        any_app.dispatcher.handle(
            ActionEvent("t-1", lucia.actor, lucia.chat, action="sign-ok", payload=ok.payload)
        ),  # type: ignore[arg-type]
        any_app.dispatcher.handle(
            ActionEvent("s-1", mateo.actor, mateo.chat, action="sign-ok", payload=ok.payload)
        ),  # type: ignore[arg-type]
    )
    texts = sorted(item.text for outcome in outcomes for item in outcome.outgoing)  # type: ignore[union-attr]
    assert texts[0] == f"ProDESC ya firmó {REF}." or texts[0].startswith("Firmado.")
    assert sum(t.startswith("Firmado.") for t in texts) == 1
    async with any_app.sessions() as session:
        assert len((await session.execute(select(Signature))).scalars().all()) == 1


async def test_refusals_deadline_and_forged_buttons(app: App) -> None:
    await publish(app)
    assert (await chat(app, "rafael").press_button(SIGN))[0].startswith("Apenas organizações verificadas")
    forged = Button("x", "sign-ok", "1:org")
    assert await chat(app, "rafael").press_button(forged) == [
        "Este botão não é mais válido: nada foi alterado. Escreva AJUDA para recomeçar."
    ]
    assert await chat(app, "lucia").press_button(Button("x", "sign-ok", "999:org")) == [
        "Se terminó el plazo para firmar."
    ]
    async with app.sessions() as session, session.begin():
        letter = (await session.execute(select(Letter))).scalar_one()
        letter.deadline = utcnow() - timedelta(minutes=1)
    assert await chat(app, "lucia").press_button(SIGN) == ["Se terminó el plazo para firmar."]
    assert await chat(app, "lucia").say(f"/withdraw {REF}") == ["Se terminó el plazo para firmar."]
    for who in ("lucia", "rafael"):
        [refusal] = await chat(app, who).say(f"/letter publish {REF}")
        assert refusal.startswith(("Lo siento", "Desculpe"))


async def test_reminders_thanks_and_export(app: App) -> None:
    await publish(app)
    lucia = chat(app, "lucia")
    await lucia.press_button(SIGN)
    await lucia.press("Firmar por ProDESC")
    sam = chat(app, "sam")
    assert await sam.say(f"/letter remind {REF}") == ["2 reminders queued."]  # Joseph and Awa, not Lucía
    assert await sam.say(f"/letter close {REF}") == [f"{REF} is closed."]
    async with app.sessions() as session:
        rows = (
            (await session.execute(select(Delivery).where(Delivery.subject.like("letter:1:%"))))
            .scalars()
            .all()
        )
        letters = LetterRepository(session)
        letter = (await session.execute(select(Letter))).scalar_one()
        signatories = await letters.signatories(letter.id)
    reminders = sorted(r.chat_id for r in rows if r.subject == "letter:1:remind")
    thanks = [to_message(r).text for r in rows if r.subject == "letter:1:thanks"]
    assert reminders == ["dm-awa", "dm-joseph"]
    assert thanks == [f"Gracias por firmar {REF}. Ya no se reciben firmas."]

    exported = export_csv("fr", signatories)
    assert exported.startswith("\ufeff")  # UTF-8 with a byte-order mark, as spreadsheet programs expect
    table = list(csv.reader(io.StringIO(exported.removeprefix("\ufeff"))))
    assert table[0] == ["Organisation", "Pays", "Signataire", "Signé le (UTC)"]
    assert table[1][:3] == ["ProDESC", "Mexique", ""]
    assert table[1][3] == format_datetime(signatories[0].signed_at, "short", tzinfo=UTC, locale="fr")
    html = export_html(letter, "نحن المنظمات الأعضاء", "ar", signatories)
    parser = _Collect()
    parser.feed(html)
    assert parser.attrs["html"] == {"lang": "ar", "dir": "rtl"}
    assert parser.items == ["ProDESC (المكسيك)"]


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.attrs: dict[str, dict[str, str | None]] = {}
        self.items: list[str] = []
        self._in_li = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.attrs.setdefault(tag, dict(attrs))
        self._in_li = tag == "li"

    def handle_data(self, data: str) -> None:
        if self._in_li:
            self.items.append(data)
            self._in_li = False


async def test_export_letter_command_writes_csv_and_html(app: App, tmp_path: object) -> None:
    import os
    import subprocess
    from pathlib import Path

    await publish(app)
    lucia = chat(app, "lucia")
    await lucia.press_button(SIGN)
    await lucia.press("Firmar por ProDESC")
    awa = chat(app, "awa")
    await awa.press_button(SIGN)
    await awa.press("Signer et afficher mon nom")
    out = Path(str(tmp_path)) / "export"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOS_")}
    env["SOS_DATABASE_URL"] = app.settings.database_url
    result = subprocess.run(  # noqa: ASYNC221  (the operator's command, run as they would)
        python_m("bot", "export-letter", REF.lower(), "--language", "es", "--out", str(out)),
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = list(csv.reader(io.StringIO((out / f"{REF}.csv").read_text(encoding="utf-8-sig"))))
    assert [row[:3] for row in rows] == [
        ["Organización", "País", "Firmante"],
        ["ProDESC", "México", ""],
        ["Comité des femmes rurales", "Senegal", "Awa Diop"],
    ]
    refused = subprocess.run(  # noqa: ASYNC221
        python_m("bot", "export-letter", REF, "--language", "klingon", "--out", str(out)),
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert refused.returncode == 2
    assert refused.stderr == "sosbot: cannot export in 'klingon'; choose one of: en, es, fr, ar, pt\n"
    parser = _Collect()
    parser.feed((out / f"{REF}.html").read_text())
    assert parser.attrs["html"] == {"lang": "es", "dir": "ltr"}
    assert parser.items == ["ProDESC (México)", "Comité des femmes rurales (Senegal) — Awa Diop"]


async def test_a_letter_changed_after_signatures_tells_the_signers(app: App) -> None:
    await publish(app)
    lucia = chat(app, "lucia")
    await lucia.press_button(SIGN)
    await lucia.press("Firmar por ProDESC")
    sam = chat(app, "sam")
    answers = await sam.say(f"/letter translate {REF} es Pedimos la liberación inmediata de Ana López.")
    assert answers == [f"{REF} saved (Spanish).", "1 signer was told what changed."]
    async with app.sessions() as session:
        rows = (
            (await session.execute(select(Delivery).where(Delivery.subject == "letter:1:changed")))
            .scalars()
            .all()
        )
        edits = (await session.execute(select(Delivery).where(Delivery.operation == "edit"))).scalars().all()
    spanish_copy = await delivered_text(app, next(e for e in edits if e.chat_id == "g-americas"))
    [told] = rows
    assert told.chat_id == "dm-lucia"
    assert to_message(told).text == (
        f"La carta colectiva {REF} que usted firmó cambió. Así queda ahora; puede retirar su firma antes de la "
        f"fecha límite con RETIRAR {REF}.\n\nA: Attorney General of Guatemala\n\n"
        "Pedimos la liberación inmediata de Ana López."
    )
    assert "Pedimos la liberación inmediata de Ana López." in spanish_copy


async def test_export_in_chat_sends_the_csv_and_the_document(app: App) -> None:
    await publish(app)
    lucia = chat(app, "lucia")
    await lucia.press_button(SIGN)
    await lucia.press("Firmar por ProDESC")
    sam = chat(app, "sam")
    assert await sam.say(f"/letter export {REF} es") == [f"{REF}: 1 signatory."]
    assert [line.text for line in sam.transcript[-3:-1]] == [
        f"(file {REF}.csv, {len(sam.files[REF + '.csv'])} bytes)",
        f"(file {REF}.html, {len(sam.files[REF + '.html'])} bytes)",
    ]
    rows = list(csv.reader(io.StringIO(sam.files[REF + ".csv"].decode("utf-8-sig"))))
    assert [row[:3] for row in rows] == [["Organización", "País", "Firmante"], ["ProDESC", "México", ""]]
    parser = _Collect()
    parser.feed(sam.files[REF + ".html"].decode())
    assert parser.attrs["html"] == {"lang": "es", "dir": "ltr"} and parser.items == ["ProDESC (México)"]
    assert await sam.say(f"/letter export {REF} klingon") == [
        "I cannot export in klingon. Choose one of: English, Spanish, French, Arabic, Portuguese."
    ]
    assert await sam.say(f"/letter export {REF} árabe") == [f"{REF}: 1 signatory."]  # a name in any language
    assert 'dir="rtl"' in sam.files[REF + ".html"].decode()


async def test_letters_close_by_themselves_at_the_deadline(app: App) -> None:
    from handlers.letters import close_due_letters

    await publish(app)
    lucia = chat(app, "lucia")
    await lucia.press_button(SIGN)
    await lucia.press("Firmar por ProDESC")
    assert await close_due_letters(app.sessions, "en") == 0  # not due yet
    async with app.sessions() as session, session.begin():
        letter = (await session.execute(select(Letter))).scalar_one()
        letter.deadline = utcnow() - timedelta(seconds=1)
    assert await close_due_letters(app.sessions, "en") == 1
    async with app.sessions() as session:
        letter = (await session.execute(select(Letter))).scalar_one()
        thanks = (
            (await session.execute(select(Delivery).where(Delivery.subject == "letter:1:thanks")))
            .scalars()
            .all()
        )
    assert letter.status == "closed"
    assert [to_message(t).text for t in thanks] == [f"Gracias por firmar {REF}. Ya no se reciben firmas."]
    assert await close_due_letters(app.sessions, "en") == 0  # closed once
