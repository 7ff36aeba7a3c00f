"""Who a fan-out reaches and in which language, said the same way for appeals and letters: how many
targets, and per reader language whether they read their own text or a fallback."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.i18n import Translator
from storage.targeting import Recipient, fallback_counts


def fallback_total(found: Sequence[Recipient]) -> int:
    """How many recipients will read a text that is not in their language."""
    return sum(r.fallback for r in found)


def language_lines(t: Translator, found: Sequence[Recipient], *, fallback_only: bool = False) -> list[str]:
    """One line per reader language: "• fr: 2 targets will read the en text (no fr text yet)."."""
    everyone, fallbacks = fallback_counts(found)
    reads = {r.target.language: r.reads for r in found}
    lines = []
    for language in sorted(everyone):
        if fallbacks[language]:
            lines.append(
                t.ngettext(
                    "• {language}: {n} target will read the {reads} text (no {language} text yet).",
                    "• {language}: {n} targets will read the {reads} text (no {language} text yet).",
                    fallbacks[language],
                    language=t.language_name(language),
                    reads=t.language_name(reads[language]),
                )
            )
        elif not fallback_only:
            lines.append(
                t.ngettext(
                    "• {language}: {n} target reads its own text.",
                    "• {language}: {n} targets read their own text.",
                    everyone[language],
                    language=t.language_name(language),
                )
            )
    return lines


def summary(t: Translator, reference: str, target: str, found: Sequence[Recipient]) -> list[str]:
    """How many targets, how many of them read a fallback, then one line per reader language."""
    return [
        t.ngettext(
            "{reference} goes to {n} target ({target}).",
            "{reference} goes to {n} targets ({target}).",
            len(found),
            reference=reference,
            target=target,
        ),
        t.ngettext(
            "{n} of them will read it in a fallback language.",
            "{n} of them will read it in a fallback language.",
            fallback_total(found),
        ),
        *language_lines(t, found),
    ]
