"""Reporting a threat: a guided, private conversation that stores nothing readable until the case exists.

Free-text answers live encrypted in the conversation (``secret_data``); choices are plain. Confirming
creates the case and alerts the triage channel with no names or details. Whatever ends the report (Send,
CANCEL, the panic word, another command starting a flow) deletes from the chat, through the outbox, every
answer the person typed and every message of the bot that repeated one (the summary): see
``Context.trace``/``Context.echo``. Where the platform keeps what a person types (Slack), free-text answers
are written in a form instead, so they never enter the chat's history.
"""

from __future__ import annotations

import json
from typing import Any

from bot.core.commands import same_word
from bot.core.context import ECHOES_KEY, ERASE_KEY, Context
from bot.core.events import ActionEvent, Button, Event, FormEvent, FormField, TextEvent
from bot.core.i18n import N_
from bot.core.router import Router
from handlers.countries import country_name
from handlers.report_alerts import alert_new_case, alert_triage, over_the_limit
from handlers.report_input import chosen_country, clean, find_country, too_long
from handlers.report_steps import (
    AT_RISK_SEPARATOR,
    BY_NAME,
    CONSENT,
    ORDER,
    SUPPORT,
    THREATS,
    URGENCY,
    WHO,
    YES_NO,
    Step,
)
from storage.appeals import setting
from storage.cases import CaseRepository

__all__ = ["alert_triage", "router"]

router = Router()
flow = router.flow("report")
BACK, DONE, CHAT_ONLY, WRITE = "_back", "_done", "_chat", "_form"
SEND_ACTION, ANSWER_FORM = "report-send", "form.report"
DELETE_REPORTS = "delete_reports"  # setting: "on" (default) or "off"
ANSWERS = (
    "answers"  # conversation data: {step: [message ids typed for it]}, so BACK can erase a redone answer
)


async def _deleting(ctx: Context) -> bool:
    return await setting(ctx.store.session, DELETE_REPORTS, "on") == "on"


@router.command("report", summary=N_("report a threat, in private"), private_only=True)
async def report(ctx: Context, event: Event) -> None:
    """Explain what is stored, who sees it and what stays in this chat, then ask the first question."""
    if await over_the_limit(ctx):
        return
    await ctx.start_flow("report", ORDER[0], **{ERASE_KEY: [], ECHOES_KEY: [], ANSWERS: {}})
    if not ctx.chat.erasable_input:
        chat_truth = ctx._(
            "This platform does not let me delete your messages, so each written answer goes in a form that "
            "stays out of this chat; my summary is deleted once the report is stored or cancelled. "
            "Type BACK to go back, CANCEL to stop."
        )
    elif await _deleting(ctx):
        chat_truth = ctx._(
            "When the report is stored or cancelled, I delete your answers and my summary from this chat. "
            "Type BACK to go back, CANCEL to stop, CLEAR to wipe everything at once."
        )
    else:
        chat_truth = ctx._(
            "Your answers stay in this chat once the report is stored: delete them yourself if your phone "
            "could be seized. Type BACK to go back, CANCEL to stop, CLEAR to wipe everything at once."
        )
    ctx.reply(
        "\n\n".join(
            (
                ctx._("You are reporting a threat to the network's secretariat."),
                ctx._(
                    "What you write is encrypted and seen only by the secretariat, unless you agree to more at the "
                    "end. You may stay anonymous: give no names and choose to be contacted only in this chat."
                ),
                chat_truth,
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
    """The panic word: wipe the conversation in progress, its traces in the chat and the word itself."""
    if ctx.conversation is not None:
        await ctx.end_flow()
    await ctx.erase([ctx.incoming_id or ""])
    ctx.reply(ctx._("Done."))


def _ask(ctx: Context, step: Step) -> None:
    buttons: list[list[Button]] = []
    if step.free_text and not ctx.chat.erasable_input:
        buttons.append([ctx.flow_button(ctx._("Write the answer"), WRITE)])
    if step.choices:
        labels = [ctx.flow_button(ctx._(label), key) for key, label in step.choices.items()]
        buttons += [labels[i : i + 2] for i in range(0, len(labels), 2)]
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


async def _trace_answer(ctx: Context, step: Step) -> None:
    """Remember the message just typed, under its step, so it is erased at the end (or when redone)."""
    assert ctx.conversation is not None
    message_id = ctx.incoming_id
    if not message_id:
        return
    await ctx.trace(message_id)
    answers: dict[str, list[str]] = dict(ctx.conversation.data.get(ANSWERS, {}))
    answers[step.name] = [*answers.get(step.name, []), message_id]
    await ctx.goto(step.name, **{ANSWERS: answers})


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
    await _trace_answer(ctx, step)
    value = ctx.answer.strip()
    if isinstance(event, TextEvent) and event.media:
        await ctx.erase([ctx.incoming_id or ""])
        ctx.reply(
            ctx._(
                "I can only take written answers in a report, so I deleted your file. Please write instead."
            )
        )
        _ask(ctx, step)
        return
    if value == BACK:
        await _go_back(ctx)
    elif step.name == "confirm":
        await _confirm(ctx, event, value)
    elif value == WRITE and isinstance(event, ActionEvent) and step.free_text:
        _open_answer_form(ctx, step)
    elif step.name == "support":
        await _support(ctx, event, value)
    elif step.choices is not None:
        # A choice's label typed instead of pressed («otra persona», «OTRA PERSONA») is that choice.
        value = next((key for key, label in step.choices.items() if same_word(value, ctx._(label))), value)
        if value not in step.choices:
            ctx.reply(ctx._("Please choose one of the buttons."))
            _ask(ctx, step)
            return
        await _advance(ctx, step, {step.name: value})
    elif isinstance(event, TextEvent) and not ctx.chat.erasable_input:
        ctx.reply(
            ctx._(
                "Please use the “Write the answer” button: this platform does not let me delete what you type "
                "here, and an answer written in the form stays out of this chat. You may delete your message "
                "yourself."
            )
        )
        _ask(ctx, step)
    else:
        await _take_text(ctx, step, value, pressed=isinstance(event, ActionEvent))


async def _support(ctx: Context, event: Event, value: str) -> None:
    assert ctx.conversation is not None
    if isinstance(event, ActionEvent) and value != DONE:
        chosen = list(ctx.conversation.data.get("support", []))
        if value in SUPPORT and value not in chosen:
            chosen.append(value)
        await ctx.goto("support", support=chosen)
        ctx.notice(
            ctx._("Added: {choice}", choice=ctx._(SUPPORT[value])) if value in SUPPORT else ctx._("Done")
        )
        return
    await _advance(ctx, BY_NAME["support"], {})


def _open_answer_form(ctx: Context, step: Step) -> None:
    if not ctx.can_open_form:
        ctx.reply(ctx._("Please write your answer."))
        return
    field = FormField(step.name, ctx._(step.prompt), multiline=step.name in ("what", "place"))
    ctx.form(ANSWER_FORM, ctx._("Threat report"), [field], ctx._("Save"))


@router.action(ANSWER_FORM)
async def answer_form(ctx: Context, event: Event) -> None:
    """A free-text answer written in a form (where typed messages would stay in the chat)."""
    assert isinstance(event, FormEvent)
    conversation = ctx.conversation
    step = BY_NAME.get(conversation.step) if conversation and conversation.flow == "report" else None
    value = event.value(step.name) if step is not None else None
    if step is None or value is None:
        ctx.reply(ctx._("This form has expired. Please start again."))
        return
    await _take_text(ctx, step, value, pressed=False)


async def _take_text(ctx: Context, step: Step, raw: str, *, pressed: bool) -> None:
    """A written answer (typed, or from a form, or the contact step's button): checked, then kept."""
    assert ctx.conversation is not None
    value = clean(raw)
    if step.name == "country":
        code = chosen_country(value) if pressed else None
        code = code or (None if pressed or too_long(ctx, step, value) else find_country(ctx, value))
        if code is not None:
            await _advance(ctx, step, {"country": code})
        return
    if pressed and value != CHAT_ONLY:
        ctx.reply(ctx._("Please answer in writing."))
        return
    if not value:
        ctx.reply(ctx._("Please write your answer."))
        return
    if too_long(ctx, step, value):
        return
    secrets = _secrets(ctx)
    secrets[step.name] = "" if (step.optional and value == "-") or value == CHAT_ONLY else value
    ctx.conversation.secret_data = json.dumps(secrets, ensure_ascii=False)
    await _advance(ctx, step, {})


async def _advance(ctx: Context, step: Step, data: dict[str, Any]) -> None:
    following = ORDER[ORDER.index(step.name) + 1]
    await ctx.goto(following, **data)
    if following == "confirm":
        ctx.echo(_summary(ctx), _confirm_buttons(ctx))
        return
    _ask(ctx, BY_NAME[following])


async def _go_back(ctx: Context) -> None:
    """One question back: the answer about to be redone, and any summary, leave the chat now."""
    conversation = ctx.conversation
    assert conversation is not None
    index = ORDER.index(conversation.step)
    previous = ORDER[max(0, index - 1)]
    answers: dict[str, list[str]] = dict(conversation.data.get(ANSWERS, {}))
    redone = answers.pop(previous, [])
    echoes = list(conversation.data.get(ECHOES_KEY, []))
    if ctx.incoming_id:
        redone.append(ctx.incoming_id)
    await ctx.erase(redone, echoes)
    traced = [i for i in conversation.data.get(ERASE_KEY, []) if i not in redone]
    await ctx.goto(previous, **{ANSWERS: answers, ERASE_KEY: traced, ECHOES_KEY: []})
    _ask(ctx, BY_NAME[previous])


def _confirm_buttons(ctx: Context) -> list[list[Button]]:
    assert ctx.conversation is not None
    return [
        [Button(ctx._("Send the report"), SEND_ACTION, ctx.conversation.token)],
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
            country=country_name(data.get("country"), ctx.locale),
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
    ctx.reply(ctx._("Please use the buttons above."))


@router.action(SEND_ACTION)
async def send(ctx: Context, event: Event) -> None:
    """The Send button: store the case once; a second press (or one after a crash) finds it and says so."""
    conversation = ctx.conversation
    token = ctx.answer
    if conversation is None or conversation.flow != "report" or conversation.token != token:
        stored = await CaseRepository(ctx.store.session).by_origin(token, ctx.person.id) if token else None
        if stored is None:
            ctx.notice(ctx._("This button has expired."))
            ctx.reply(ctx._("This button is no longer valid: nothing was changed. Type HELP to start again."))
        else:
            ctx.reply(ctx._("This report is already stored as {reference}.", reference=stored.reference))
        return
    if conversation.step != "confirm":
        ctx.reply(ctx._("Please answer the question above first."))
        return
    if await over_the_limit(ctx):
        return
    await _store(ctx)


async def _store(ctx: Context) -> None:
    conversation = ctx.conversation
    assert conversation is not None
    data, secrets = dict(conversation.data), _secrets(ctx)
    cases = CaseRepository(ctx.store.session)
    case = await cases.create(
        threat_type=data.get("threat"),
        country=data.get("country"),
        urgency=data.get("urgency"),
        consent=data.get("consent", "secretariat"),
        names_publishable=data.get("publish") == "yes",
        reporter_id=ctx.person.id,
        at_risk=AT_RISK_SEPARATOR.join(filter(None, (data.get("who"), secrets.get("names")))),
        place=secrets.get("place"),
        what_happened=secrets.get("what"),
        when_happened=secrets.get("when"),
        support_requested=list(data.get("support", [])),
        contact=secrets.get("contact") or None,
        origin=conversation.token,
    )
    await cases.add_event(case, "created", ctx.person.id)
    await ctx.audit("case.create", f"case:{case.id}")
    if not await _deleting(ctx):
        conversation.data = {
            **conversation.data,
            ERASE_KEY: [],
        }  # the secretariat chose to keep typed answers
    await ctx.end_flow()
    await alert_new_case(ctx, case)
    ctx.reply(
        ctx._(
            "Your report is stored as {reference}. The secretariat has been alerted and will answer here, "
            "usually within hours. Keep this reference; type MYCASES to see your reports.",
            reference=case.reference,
        )
    )
