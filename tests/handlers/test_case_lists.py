"""The secretariat's case lists and case view: urgency then age, paging, filters, assignment, timeline,
creation date, the reporter's language and the consent level, in en, es and ar."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.app import App
from bot.core.codec import to_message
from bot.core.i18n import Translator
from storage.cases import CaseRepository
from storage.models import Delivery, utcnow
from tests.handlers.test_triage_privacy import make_secretariat, reported
from tests.support import chat, people


async def many_cases(app: App, count: int) -> list[str]:
    """``count`` open cases, urgencies in turn, the first created oldest; returns their references."""
    references = []
    async with app.sessions() as session, session.begin():
        repository = CaseRepository(session)
        for number in range(count):
            case = await repository.create(
                threat_type="smear",
                country="Chile" if number % 2 else "Peru",
                urgency=("ongoing", "days", "immediate")[number % 3],
                created_at=utcnow() - timedelta(days=count - number),
            )
            references.append(case.reference)
    return references


async def test_lists_are_sorted_by_urgency_then_age_and_paged(any_app: App) -> None:
    await people(any_app)
    references = await many_cases(any_app, 25)
    immediate = [r for n, r in enumerate(references) if n % 3 == 2]
    days = [r for n, r in enumerate(references) if n % 3 == 1]
    ongoing = [r for n, r in enumerate(references) if n % 3 == 0]
    sam = chat(any_app, "sam")
    [first] = await sam.say("/cases")
    lines = first.split("\n")
    assert lines[0] == "25 cases, page 1 of 2:"
    shown = [line.split(" — ")[0] for line in lines[1:21]]
    assert shown == (immediate + days + ongoing)[:20]
    assert lines[-1] == "More: type CASES page 2."
    [second] = await sam.press("More")
    assert second.startswith("25 cases, page 2 of 2:")
    assert [line.split(" — ")[0] for line in second.split("\n")[1:]] == ongoing[-5:]
    assert await sam.say("/cases page 2") == [second]
    assert await sam.say("/cases page 3") == ["There is no page 3."]
    [urgent] = await sam.say("/cases urgent")
    assert urgent.startswith(f"{len(immediate)} cases, page 1 of 1:")
    [chile] = await sam.say("/cases chile")
    assert chile.startswith("12 cases, page 1 of 1:")
    await make_secretariat(any_app, "lucia")
    [es] = await chat(any_app, "lucia").say("/casos urgente")
    assert es.startswith(f"{len(immediate)} casos, página 1 de 1:")
    assert "Campaña de difamación o acoso, Peligro inmediato (nueva)" in es


async def test_an_unknown_filter_lists_the_valid_ones(app: App) -> None:
    await people(app)
    await many_cases(app, 2)
    assert await chat(app, "sam").say("/cases urgnt") == [
        "There is no filter “urgnt”. Use mine; a status: new, in triage, verified, active, resolved, closed; "
        "an urgency: urgent, Immediate danger, Within days, Ongoing; or a country with cases: Chile, Peru."
    ]
    [arabic] = await chat(app, "amina").say("/cases xyz")
    assert arabic.startswith("لا يوجد مرشّح") and "Chile، Peru" in arabic


async def test_assignment_is_shown_told_privately_and_on_the_timeline(any_app: App) -> None:
    await people(any_app)
    case = await reported(any_app, "rafael")
    await make_secretariat(any_app, "lucia")
    sam = chat(any_app, "sam")
    assert await sam.say(f"/assign {case.reference} 3") == [  # Lucía is the sandbox's person #3
        f"{case.reference} is assigned to #3 Lucía Hernández."
    ]
    async with any_app.sessions() as session:
        told = (
            (await session.execute(select(Delivery).where(Delivery.subject.like("%:assigned"))))
            .scalars()
            .all()
        )
    [message] = [to_message(d) for d in told]
    assert told[0].chat_id == "dm-lucia"
    assert (
        message.text
        == f"#2 Sam (secretariat) le asignó {case.reference}. Escriba CASO {case.reference} para leerlo."
    )
    assert message.buttons[0][0].label == "Abrir"
    [mine] = await chat(any_app, "lucia").say("/casos míos")
    assert mine.startswith("1 caso, página 1 de 1:") and "#3 Lucía Hernández" in mine
    assert await sam.say("/cases mine") == ["No case matches."]
    assert await sam.say(f"/status {case.reference} verified") == [f"{case.reference} is now: verified."]
    [view] = await sam.say(f"/case {case.reference}")
    assert "Assigned to: #3 Lucía Hernández" in view
    assert "Reporter's language: Portuguese" in view
    assert "Who may see it: The secretariat only" in view
    sam_reads = Translator("en", "America/New_York")  # Sam's timezone: the date is his, not UTC's
    reported_on = sam_reads.format_datetime(case.created_at, "medium")
    assert f"Reported on: {reported_on}\n" in view
    timeline = view.split("Timeline:\n")[1].split("\n")
    assert timeline[0].endswith("— report received")
    assert timeline[1].endswith("— assigned to #3 Lucía Hernández by #2 Sam (secretariat)")
    assert timeline[2].endswith("— status set to verified by #2 Sam (secretariat)")
    [es] = await chat(any_app, "lucia").say(f"/caso {case.reference}")
    assert "Idioma de quien denuncia: portugués" in es and "Asignado a: #3 Lucía Hernández" in es
    assert "Quién puede verla: Solo la secretaría" in es
    [ar] = await chat(any_app, "amina").say(f"/case {case.reference}")
    assert "لغة المُبلِّغ: \u2068البرتغالية\u2069" in ar
