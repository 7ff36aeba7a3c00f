"""How an urgent appeal reads in each recipient's language (labels translated, text in or falling back)."""

from __future__ import annotations

from bot.core.commands import pgettext
from bot.core.events import Button
from bot.core.i18n import Translator, translator
from storage.models import Appeal, AppealText

ACTED = "acted"
# An appeal's life: draft -> (awaiting a second approval) -> sent -> updated ... -> retracted / closed.
STATUS_LABELS: dict[str, str] = {
    "draft": pgettext("appeal status", "draft"),
    "awaiting": pgettext("appeal status", "awaiting approval"),
    "sent": pgettext("appeal status", "sent"),
    "updated": pgettext("appeal status", "updated"),
    "retracted": pgettext("appeal status", "retracted"),
    "closed": pgettext("appeal status", "closed"),
}


def status_label(t: Translator, status: str) -> str:
    """An appeal's status in ``t``'s language."""
    return t.pgettext("appeal status", STATUS_LABELS.get(status, status))


def pick_text(texts: dict[str, AppealText], language: str, default: str) -> tuple[AppealText, bool]:
    """The text in ``language``, else the default language's, else any; and whether it fell back."""
    if language in texts:
        return texts[language], False
    fallback = texts.get(default) or texts[sorted(texts)[0]]
    return fallback, True


def render(
    appeal: Appeal,
    texts: dict[str, AppealText],
    language: str,
    default: str,
    *,
    updated: bool = False,
    closed: bool = False,
    timezone: str | None = None,
    letter: str | None = None,
) -> str:
    """The appeal as a recipient of ``language`` (in ``timezone``, when known) reads it.

    Labels and dates are always in the reader's language; the text is theirs when it exists, else the
    default language's (never missing: any text at all beats none).
    """
    t = Translator(language, timezone) if timezone else translator(language)
    text, _ = pick_text(texts, language, default)
    lines = []
    if closed:
        lines.append(t.gettext("CLOSED: no further action is needed. Thank you to everyone who acted."))
    elif updated:
        lines.append(t.gettext("UPDATED"))
    lines.append(t.gettext("🚨 Urgent appeal {reference}", reference=appeal.reference))
    lines.append(text.title)
    lines.append("")
    lines.append(t.gettext("What happened: {text}", text=text.what_happened))
    lines.append(t.gettext("What to do: {text}", text=text.what_to_do))
    if letter:
        lines.append(t.gettext("Collective letter to sign: {reference}", reference=letter))
    if appeal.deadline is not None:
        lines.append(t.gettext("Deadline: {date}", date=t.format_datetime(appeal.deadline, "long")))
    return "\n".join(lines)


def acted_button(appeal: Appeal, language: str) -> list[list[Button]]:
    """The "I acted" button, in the recipient's language."""
    return [[Button(translator(language).gettext("I acted"), ACTED, str(appeal.id))]]


def retraction(appeal: Appeal, language: str) -> str:
    """The notice that replaces every copy of a retracted appeal."""
    return translator(language).gettext(
        "This urgent appeal ({reference}) has been withdrawn by the secretariat. Please take no further action.",
        reference=appeal.reference,
    )


def followup(appeal: Appeal, language: str, text: str) -> str:
    """A follow-up message (the secretariat's text as typed, introduced in the reader's language)."""
    return translator(language).gettext(
        "Follow-up to {reference}: {text}", reference=appeal.reference, text=text
    )
