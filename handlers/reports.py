"""Reporting a threat: a guided, private conversation that stores nothing readable until the case exists.

Free-text answers live encrypted in the conversation (``secret_data``); choices are plain. Confirming
creates the case, alerts the triage channel with no names or details, and (by default) deletes the
defender's messages from the chat so a seized phone shows less.
"""

from __future__ import annotations

import json
from typing import Any

from bot.core.commands import same_word
from bot.core.context import Context
from bot.core.events import ActionEvent, Button, Event, TextEvent
from bot.core.i18n import N_, translator
from bot.core.router import Router
from handlers.report_steps import BY_NAME, CONSENT, ORDER, SUPPORT, THREATS, URGENCY, WHO, YES_NO, Step
from storage.appeals import setting
from storage.cases import CaseRepository
from storage.outbox import URGENT
from storage.targeting import secretariat_targets

router = Router()
flow = router.flow("report")
BACK, DONE, CHAT_ONLY = "_back", "_done", "_chat"
DELETE_REPORTS = "delete_reports"  # setting: "on" (default) or "off"
MAX_ANSWER = 3000


@router.command("report", summary=N_("report a threat, in private"), private_only=True)
async def report(ctx: Context, event: Event) -> None:
    """Explain what is stored and who sees it, then ask the first question."""
    await ctx.start_flow("report", ORDER[0], msgs=[])
    ctx.reply(
        "\n\n".join(
            (
                ctx._("You are reporting a threat to the network's secretariat."),
                ctx._(
                    "What you write is encrypted and seen only by the secretariat, unless you agree to more at the "
                    "end. You may stay anonymous: give no names and choose to be contacted only in this chat."
                ),
                ctx._(
                    "When the report is stored I delete your messages here. Type BACK to go back, CANCEL to stop."
                ),
            )
        )
    )
    _ask(ctx, BY_NAME[ORDER[0]])


@router.command("back", summary=N_("go back one question"))
async def back(ctx: Context, event: Event) -> None:
    """Go back one question in the report (the dispatcher sends the lone word here even mid-flow)."""
    if ctx.conversation is None or ctx.conversation.flow != "report":
        ctx.reply(ctx._("There is nothing to go back to."))
        return
    await _go_back(ctx)


@router.command("clear", summary=N_("wipe what you are writing at once"))
async def clear(ctx: Context, event: Event) -> None:
    """The panic word: wipe the conversation in progress and answer something unremarkable."""
    await ctx.end_flow()
    if isinstance(event, TextEvent) and event.message_id:
        ctx.delete(event.message_id)
    ctx.reply(ctx._("Done."))


def _ask(ctx: Context, step: Step) -> None:
    buttons: list[list[Button]] = []
    if step.choices:
        labels = [ctx.flow_button(ctx._(label), key) for key, label in step.choices.items()]
        buttons = [labels[i : i + 2] for i in range(0, len(labels), 2)]
    if step.name == "support":
        buttons.append([ctx.flow_button(ctx._("Done"), DONE)])
    if step.name == "contact":
        buttons.append([ctx.flow_button(ctx._("Only in this chat"), CHAT_ONLY)])
    if step.name != ORDER[0]:
        buttons.append([ctx.flow_button(ctx._("Back"), BACK)])
    ctx.reply(ctx._(step.prompt), buttons)


def _secrets(ctx: Context) -> dict[str, str]:
    assert ctx.conversation is not None
    raw = ctx.conversation.secret_data
    return dict(json.loads(raw)) if raw else {}


@flow.step("who")
@flow.step("names")
@flow.step("country")
@flow.step("place")
@flow.step("threat")
@flow.step("what")
@flow.step("when")
@flow.step("urgency")
@flow.step("support")
@flow.step("contact")
@flow.step("consent")
@flow.step("publish")
@flow.step("confirm")
async def answer(ctx: Context, event: Event) -> None:
    """Every answer of the report lands here; the step in progress says what it means."""
    assert ctx.conversation is not None
    step = BY_NAME[ctx.conversation.step]
    if isinstance(event, TextEvent) and event.message_id:
        await ctx.goto(step.name, msgs=[*ctx.conversation.data.get("msgs", []), event.message_id])
    value = ctx.answer.strip()
    if value == BACK:
        await _go_back(ctx)
        return
    if step.name == "confirm":
        await _confirm(ctx, event, value)
        return
    if step.name == "support" and isinstance(event, ActionEvent) and value != DONE:
        chosen = list(ctx.conversation.data.get("support", []))
        if value in SUPPORT and value not in chosen:
            chosen.append(value)
        await ctx.goto("support", support=chosen)
        ctx.notice(
            ctx._("Added: {choice}", choice=ctx._(SUPPORT[value])) if value in SUPPORT else ctx._("Done")
        )
        return
    if step.choices is not None and step.name != "support":
        # A choice's label typed instead of pressed («otra persona», «OTRA PERSONA») is that choice.
        value = next((key for key, label in step.choices.items() if same_word(value, ctx._(label))), value)
        if value not in step.choices:
            ctx.reply(ctx._("Please choose one of the buttons."))
            _ask(ctx, step)
            return
        await _advance(ctx, step, {step.name: value})
        return
    if step.name == "support":
        await _advance(ctx, step, {})
        return
    if len(value) > MAX_ANSWER or not value:
        ctx.reply(ctx._("Please answer in {limit} characters at most.", limit=MAX_ANSWER))
        return
    if step.secret:
        secrets = _secrets(ctx)
        secrets[step.name] = "" if (step.optional and value == "-") or value == CHAT_ONLY else value
        ctx.conversation.secret_data = json.dumps(secrets, ensure_ascii=False)
        await _advance(ctx, step, {})
        return
    await _advance(ctx, step, {step.name: value})


async def _advance(ctx: Context, step: Step, data: dict[str, Any]) -> None:
    following = ORDER[ORDER.index(step.name) + 1]
    await ctx.goto(following, **data)
    if following == "confirm":
        ctx.reply(_summary(ctx), _confirm_buttons(ctx))
        return
    _ask(ctx, BY_NAME[following])


async def _go_back(ctx: Context) -> None:
    assert ctx.conversation is not None
    index = ORDER.index(ctx.conversation.step)
    previous = ORDER[max(0, index - 1)]
    await ctx.goto(previous)
    _ask(ctx, BY_NAME[previous])


def _confirm_buttons(ctx: Context) -> list[list[Button]]:
    return [
        [ctx.flow_button(ctx._("Send the report"), "send")],
        [ctx.flow_button(ctx._("Back"), BACK), ctx.flow_button(ctx._("Cancel"), "cancel")],
    ]


def _summary(ctx: Context) -> str:
    assert ctx.conversation is not None
    data, secrets = ctx.conversation.data, _secrets(ctx)

    def label(table: dict[str, str], key: str | None) -> str:
        return ctx._(table[key]) if key in table else "—"

    lines = [
        ctx._("Please check your report."),
        ctx._("At risk: {value}", value=label(WHO, data.get("who"))),
        ctx._("Names: {value}", value=secrets.get("names") or "—"),
        ctx._(
            "Country and place: {country}, {place}",
            country=data.get("country", "—"),
            place=secrets.get("place", "—"),
        ),
        ctx._("Threat: {value}", value=label(THREATS, data.get("threat"))),
        ctx._("What happened: {text}", text=secrets.get("what", "—")),
        ctx._("When: {value}", value=secrets.get("when", "—")),
        ctx._("Urgency: {value}", value=label(URGENCY, data.get("urgency"))),
        ctx._(
            "Support asked: {value}",
            value=", ".join(ctx._(SUPPORT[s]) for s in data.get("support", [])) or "—",
        ),
        ctx._("Contact: {value}", value=secrets.get("contact") or ctx._("Only in this chat")),
        ctx._("Who may see it: {value}", value=label(CONSENT, data.get("consent"))),
        ctx._("Names may be published: {value}", value=label(YES_NO, data.get("publish"))),
    ]
    return "\n".join(lines)


async def _confirm(ctx: Context, event: Event, value: str) -> None:
    assert ctx.conversation is not None
    if value == "cancel":
        await ctx.end_flow()
        ctx.reply(ctx._("Cancelled. Nothing was saved."))
        return
    if value != "send" or not isinstance(event, ActionEvent):
        ctx.reply(ctx._("Please use the buttons above."), _confirm_buttons(ctx))
        return
    data, secrets = dict(ctx.conversation.data), _secrets(ctx)
    cases = CaseRepository(ctx.store.session)
    case = await cases.create(
        threat_type=data.get("threat"),
        country=data.get("country"),
        urgency=data.get("urgency"),
        consent=data.get("consent", "secretariat"),
        names_publishable=data.get("publish") == "yes",
        reporter_id=ctx.person.id,
        at_risk=" — ".join(filter(None, (data.get("who"), secrets.get("names")))),
        place=secrets.get("place"),
        what_happened=secrets.get("what"),
        when_happened=secrets.get("when"),
        support_requested=list(data.get("support", [])),
        contact=secrets.get("contact") or None,
    )
    await cases.add_event(case, "created", ctx.person.id)
    await ctx.audit("case.create", f"case:{case.id}")
    await ctx.end_flow()
    await alert_triage(ctx, case.id, case.reference, case.country or "", case.threat_type, case.urgency)
    if await setting(ctx.store.session, DELETE_REPORTS, "on") == "on":
        for message_id in data.get("msgs", []):
            ctx.delete(message_id)
    ctx.edit(
        ctx._(
            "Your report is stored as {reference}. The secretariat has been alerted and will answer here, "
            "usually within hours. Keep this reference; type MYCASES to see your reports.",
            reference=case.reference,
        )
    )


async def alert_triage(
    ctx: Context,
    case_id: int,
    reference: str,
    country: str,
    threat: str | None,
    urgency: str | None,
    *,
    message: bool = False,
) -> None:
    """A minimal alert (reference, country, threat type, urgency: never names or details) to the triage
    channel, or to each secretariat member's private chat when there is none. ``message``: the reporter
    wrote again; the text itself stays in the store, behind the Open button."""
    targets = await secretariat_targets(ctx.store.session, ctx.settings.default_language)
    revision = len(await CaseRepository(ctx.store.session).timeline_ids(case_id))
    for target in targets:
        t = translator(target.language)
        details = {
            "reference": reference,
            "country": country,
            "threat": t.gettext(THREATS.get(threat or "", N_("Other"))),
            "urgency": t.gettext(URGENCY.get(urgency or "", N_("Ongoing"))),
        }
        if message:
            text = t.gettext("The reporter of {reference} wrote again ({country}, {threat}).", **details)
        else:
            text = t.gettext("New threat report {reference}: {country}, {threat}, {urgency}.", **details)
        await ctx.fan_out(
            f"case:{case_id}:alert",
            target,
            text,
            [[Button(t.gettext("Open"), "case-open", str(case_id))]],
            priority=URGENT,
            revision=revision,
        )
