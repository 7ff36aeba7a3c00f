"""Translated labels for stored values (roles), shared by several handlers."""

from __future__ import annotations

from bot.core.i18n import N_, Translator
from storage.models import Role

ROLE_LABELS: dict[Role, str] = {
    Role.SECRETARIAT: N_("secretariat"),
    Role.MEMBER: N_("member"),
    Role.DEFENDER: N_("defender"),
}


def role_label(t: Translator, role: Role) -> str:
    """The role's name in ``t``'s language."""
    return t.gettext(ROLE_LABELS[role])


def parse_role(word: str) -> Role | None:
    """A role from its English key or its name in any of the five languages."""
    from bot.config import LANGUAGES
    from bot.core.i18n import translator

    wanted = word.strip().casefold()
    for role, label in ROLE_LABELS.items():
        names = {role.value, *(translator(lang).gettext(label).casefold() for lang in LANGUAGES)}
        if wanted in names:
            return role
    return None
