"""Appeals and letters started from, or linked to, a case (``case REF appeal|letter|link …``)."""

from __future__ import annotations

from bot.core.context import Context
from bot.core.i18n import N_, translator
from handlers.countries import country_name
from handlers.report_steps import THREATS, split_at_risk
from storage.appeals import AppealRepository
from storage.letters import LetterRepository
from storage.models import Case
from storage.targeting import private_target


async def link(ctx: Context, case: Case, reference: str) -> bool:
    """``case REF link UA-…|CL-…`` (and the case page's form): tie an appeal or a letter to the case.

    Returns:
        False when no appeal or letter has ``reference``.
    """
    appeal = await AppealRepository(ctx.store.session).by_reference(reference)
    letter = await LetterRepository(ctx.store.session).by_reference(reference)
    target = appeal or letter
    if target is None:
        ctx.reply(ctx._("No appeal or letter has the reference {reference}.", reference=reference.upper()))
        return False
    target.case_id = case.id
    await ctx.audit("case.link", f"case:{case.id}", to=target.reference)
    ctx.reply(ctx._("{case} is linked to {reference}.", case=case.reference, reference=target.reference))
    return True


async def start_from_case(ctx: Context, case: Case, kind: str) -> str:
    """A draft appeal or letter; the report's text is copied only when the reporter allowed the network.

    What is copied goes under the language the report was written in (the reporter's), with the threat and
    the country named in that language; a draft with nothing copied is in the author's language. The chat's
    ``case REF appeal|letter`` and the dashboard's case page both start drafts here.

    Returns:
        The draft's reference.
    """
    shareable = case.consent == "network"
    language = await _report_language(ctx, case) if shareable else ctx.locale
    t = translator(language)
    threat = t.gettext(THREATS.get(case.threat_type or "other", N_("Other")))
    title = " — ".join(part for part in (threat, country_name(case.country, language)) if part.strip(" —"))
    story = case.what_happened or ""
    _, names = split_at_risk(case.at_risk)
    if case.names_publishable and names:
        story = t.gettext("{names}: {text}", names=names, text=story)
    if kind == "appeal":
        appeals = AppealRepository(ctx.store.session)
        draft = await appeals.create(ctx.person.id)
        draft.case_id = case.id
        await appeals.set_text(draft.id, language, title, story if shareable else "—", "—")
        reference = draft.reference
    else:
        letters = LetterRepository(ctx.store.session)
        letter = await letters.create(ctx.person.id, "—")
        letter.case_id = case.id
        await letters.set_text(letter.id, language, story if shareable else "—")
        reference = letter.reference
    await ctx.audit(f"case.{kind}", f"case:{case.id}", draft=reference, copied=shareable)
    if shareable:
        ctx.reply(ctx._("{reference} drafted from {case} with the report's text, in {language}. Review it before "
                        "sending.", reference=reference, case=case.reference,
                        language=ctx.t.language_name(language)))  # fmt: skip
    else:
        ctx.reply(ctx._("{reference} drafted for {case}. The reporter did not allow sharing beyond the secretariat: "
                        "nothing from the report was copied.", reference=reference, case=case.reference))  # fmt: skip
    return reference


async def _report_language(ctx: Context, case: Case) -> str:
    """The language the reporter writes in (their own), else the author's."""
    if case.reporter_id is None:
        return ctx.locale
    target = await private_target(ctx.store.session, case.reporter_id, ctx.settings.default_language)
    return target.language if target is not None else ctx.locale
