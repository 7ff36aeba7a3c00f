"""How an urgent appeal reads in each recipient's language (labels translated, text in or falling back)."""

from __future__ import annotations

from bot.core.events import Button
from bot.core.i18n import Translator, translator
from storage.models import Appeal, AppealText

ACTED = "acted"


def pick_text(texts: dict[str, AppealText], language: str, default: str) -> tuple[AppealText, bool]:
    """The text in ``language``, else the default language's, else any; and whether it fell back."""
    if language in texts:
        return texts[language], False
    fallback = texts.get(default) or next(iter(texts.values()))
    return fallback, True


def render(
    appeal: Appeal,
    texts: dict[str, AppealText],
    language: str,
    default: str,
    *,
    updated: bool = False,
    timezone: str | None = None,
) -> str:
    """The appeal as a recipient of ``language`` (in ``timezone``, when known) reads it."""
    t = Translator(language, timezone) if timezone else translator(language)
    text, _ = pick_text(texts, language, default)
    lines = []
    if updated:
        lines.append(t.gettext("UPDATED"))
    lines.append(t.gettext("🚨 Urgent appeal {reference}", reference=appeal.reference))
    lines.append(text.title)
    lines.append("")
    lines.append(t.gettext("What happened: {text}", text=text.what_happened))
    lines.append(t.gettext("What to do: {text}", text=text.what_to_do))
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
