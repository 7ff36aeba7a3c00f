"""Translated labels for stored values (roles, regions, working groups), shared by several handlers."""

from __future__ import annotations

from bot.core.i18n import N_, Translator
from storage.models import Role

# Display names of the stored regions and working groups, translated per reader.
REGION_NAMES: dict[str, str] = {
    "africa": N_("Africa"),
    "americas": N_("Americas"),
    "asia": N_("Asia"),
    "europe": N_("Europe"),
    "mena": N_("Middle East and North Africa"),
}
GROUP_NAMES: dict[str, str] = {
    "women-escr": N_("Women and ESCR"),
    "corporate-accountability": N_("Corporate Accountability"),
    "strategic-litigation": N_("Strategic Litigation"),
    "economic-policy": N_("Economic Policy"),
    "monitoring": N_("Monitoring"),
    "social-movements": N_("Social Movements"),
}
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
