"""Translated labels for stored values, and the values a person types in any of the five languages.

Every enum or key shown to a person goes through here (or a feature's own table of ``N_`` labels), and every
value a person types (statuses, regions, working groups, languages, on/off, "all") is read back in all five
languages, folded like command words (:func:`bot.core.commands.normalise_word`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache

from babel import Locale

from bot.config import LANGUAGES
from bot.core.commands import normalise_word, pgettext
from bot.core.i18n import N_, Translator, translator
from storage.models import Role
from storage.targeting import TargetSpec

VALUE = "value"  # catalogue context of short typed values

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
SWITCH: dict[str, str] = {"on": pgettext("value", "on"), "off": pgettext("value", "off")}
ALL = pgettext("value", "all")
PLATFORMS: dict[str, str] = {"telegram": "Telegram", "slack": "Slack", "console": N_("console")}


def role_label(t: Translator, role: Role) -> str:
    """The role's name in ``t``'s language."""
    return t.gettext(ROLE_LABELS[role])


def parse_role(word: str) -> Role | None:
    """A role from its English key or its name in any of the five languages."""
    key = parse_value(word, {role.value: label for role, label in ROLE_LABELS.items()})
    return Role(key) if key else None


def parse_value(word: str, labels: Mapping[str, str], context: str | None = None) -> str | None:
    """The key whose label ``word`` is in any of the five languages (or the key itself), else None."""
    return _forms(tuple(labels.items()), context).get(normalise_word(word))


@cache
def _forms(labels: tuple[tuple[str, str], ...], context: str | None) -> dict[str, str]:
    forms: dict[str, str] = {}
    for key, label in labels:
        forms.setdefault(normalise_word(key), key)
        for language in LANGUAGES:
            t = translator(language)
            shown = t.pgettext(context, label) if context else t.gettext(label)
            forms.setdefault(normalise_word(shown), key)
    return forms


def switch_label(t: Translator, value: str) -> str:
    """``on``/``off`` in ``t``'s language."""
    return t.pgettext(VALUE, SWITCH.get(value, value))


def parse_switch(word: str) -> str | None:
    """``on`` or ``off`` from the word in any of the five languages."""
    return parse_value(word, SWITCH, VALUE)


def is_all(word: str) -> bool:
    """Whether ``word`` is "all" in one of the five languages."""
    return parse_value(word, {"all": ALL}, VALUE) == "all"


def platform_label(t: Translator, platform: str) -> str:
    """A platform's name as people know it (the console is named in the reader's language)."""
    return t.gettext(PLATFORMS[platform]) if platform in PLATFORMS else platform.title()


def region_label(t: Translator, region: str) -> str:
    """A region's name in ``t``'s language."""
    return t.gettext(REGION_NAMES[region]) if region in REGION_NAMES else region


def group_label(t: Translator, group: str) -> str:
    """A working group's name in ``t``'s language."""
    return t.gettext(GROUP_NAMES[group]) if group in GROUP_NAMES else group


@cache
def _language_forms() -> dict[str, str]:
    """Every name of the five languages (CLDR, in each of them, and each in itself) -> its code."""
    forms: dict[str, str] = {}
    for code in LANGUAGES:
        forms[normalise_word(code)] = code
        for reader in LANGUAGES:
            forms.setdefault(normalise_word(Locale.parse(reader).languages.get(code, code)), code)
    return forms


def parse_language(word: str) -> str | None:
    """A language code from ``es``, ``Spanish``, ``español``, ``espagnol``, «الإسبانية»…; None when unknown."""
    return _language_forms().get(normalise_word(word))


def parse_region(word: str) -> str | None:
    """A region key from its name in any of the five languages."""
    return parse_value(word, REGION_NAMES)


def parse_group(word: str) -> str | None:
    """A working group key from its name in any of the five languages."""
    return parse_value(word, GROUP_NAMES)


def parse_target(words: Iterable[str]) -> TargetSpec | None:
    """A fan-out target typed as a person says it: "all", a region, a working group or a language, in any of
    the five languages (``todos``, ``África``, «أفريقيا», ``français``); ``region:africa`` still works."""
    text = " ".join(words).strip()
    kind, colon, value = text.partition(":")
    if colon and kind.strip().lower() in ("region", "group", "language"):
        text = value
    if is_all(text):
        return TargetSpec()
    for kind, parse in (("region", parse_region), ("group", parse_group), ("language", parse_language)):
        key = parse(text)
        if key is not None:
            return TargetSpec(kind, key)
    return None


def target_label(t: Translator, spec: TargetSpec) -> str:
    """A target as its reader says it: "everyone", "Africa", "Women and ESCR", "Spanish readers"."""
    if spec.kind == "region":
        return region_label(t, spec.value)
    if spec.kind == "group":
        return group_label(t, spec.value)
    if spec.kind == "language":
        return t.gettext("{language} readers", language=t.language_name(spec.value))
    return t.gettext("everyone")


# How the outbox records a refused delivery (``bot.core.delivery.FailureKind`` and the worker's own kinds).
FAILURE_LABELS: dict[str, str] = {
    "rate_limited": N_("rate limited by the platform"),
    "blocked": N_("the bot was blocked or removed"),
    "not_found": N_("chat not found"),
    "migrated": N_("the chat moved"),
    "transient": N_("temporary platform error"),
    "rejected": N_("refused by the platform"),
    "undecodable": N_("unreadable message"),
    "unknown": N_("unknown error"),
}


def failure_label(t: Translator, kind: str) -> str:
    """A delivery failure's kind in ``t``'s language."""
    return t.gettext(FAILURE_LABELS.get(kind, FAILURE_LABELS["unknown"]))


def join(t: Translator, items: Iterable[str]) -> str:
    """Items separated the locale's way (Arabic uses «،»), or "—" when there are none."""
    shown = list(items)
    return t.pgettext("list separator", SEPARATOR).join(shown) if shown else "—"


SEPARATOR = pgettext("list separator", ", ")


def language_list(t: Translator, codes: Iterable[str]) -> str:
    """Language names in ``t``'s language, separated the locale's way, or "—"."""
    return join(t, (t.language_name(code) for code in codes))


# Audit actions as the secretariat reads them in AUDIT (keys are what ``ctx.audit`` records).
AUDIT_LABELS: dict[str, str] = {
    "appeal.approve": N_("approved an appeal"),
    "appeal.close": N_("closed an appeal"),
    "appeal.followup": N_("sent a follow-up to an appeal"),
    "appeal.link": N_("linked an appeal"),
    "appeal.new": N_("drafted an appeal"),
    "appeal.retract": N_("retracted an appeal"),
    "appeal.retry": N_("sent an appeal's failed copies again"),
    "appeal.send": N_("sent an appeal"),
    "appeal.submit": N_("submitted an appeal for approval"),
    "appeal.target": N_("chose an appeal's target"),
    "appeal.translate": N_("changed an appeal's text"),
    "appeal.update": N_("updated a sent appeal"),
    "case.appeal": N_("drafted an appeal from a case"),
    "case.letter": N_("drafted a letter from a case"),
    "case.assign": N_("assigned a case"),
    "case.create": N_("received a report"),
    "case.link": N_("linked a case"),
    "case.note": N_("added a note to a case"),
    "case.read": N_("read a case"),
    "case.reply": N_("replied to a reporter"),
    "case.reporter_message": N_("received a message from a reporter"),
    "case.status": N_("changed a case's status"),
    "channel.register": N_("registered a channel"),
    "dashboard.link": N_("asked for a dashboard link"),
    "dashboard.login": N_("signed in to the dashboard"),
    "dashboard.logout": N_("signed out of the dashboard"),
    "dashboard.logout_all": N_("ended every dashboard session"),
    "letter.approve": N_("approved a letter"),
    "letter.close": N_("closed a letter"),
    "letter.edit": N_("edited a letter"),
    "letter.export": N_("exported a letter"),
    "letter.new": N_("drafted a letter"),
    "letter.publish": N_("published a letter"),
    "letter.remind": N_("sent reminders for a letter"),
    "letter.sign": N_("signed a letter"),
    "letter.submit": N_("submitted a letter for approval"),
    "letter.target": N_("chose a letter's target"),
    "letter.translate": N_("changed a letter's text"),
    "letter.withdraw": N_("withdrew a signature"),
    "member.confirm": N_("confirmed a member"),
    "org.join": N_("asked to join an organisation"),
    "org.register": N_("registered an organisation"),
    "org.unverify": N_("withdrew an organisation's verification"),
    "org.verify": N_("verified an organisation"),
    "person.created": N_("first wrote to the bot"),
    "person.erase": N_("erased their data"),
    "person.language": N_("chose a language"),
    "person.link": N_("linked accounts"),
    "role.bootstrap": N_("received the configured secretariat role"),
    "role.change": N_("changed a role"),
    "role.request": N_("asked for a role change"),
    "sandbox.seed": N_("filled the sandbox"),
    "settings.change": N_("changed a network setting"),
    "subscription.change": N_("changed a subscription"),
    "subscription.off": N_("unsubscribed"),
    "subscription.on": N_("subscribed"),
}
SUBJECT_LABELS: dict[str, str] = {
    "appeal": N_("appeal #{id}"),
    "case": N_("case #{id}"),
    "channel": N_("channel #{id}"),
    "letter": N_("letter #{id}"),
    "org": N_("organisation #{id}"),
    "person": N_("person #{id}"),
    "session": N_("dashboard session #{id}"),
}


def audit_label(t: Translator, action: str) -> str:
    """An audit action in ``t``'s language."""
    return t.gettext(AUDIT_LABELS.get(action, N_("another action")))


def subject_label(t: Translator, subject: str) -> str:
    """What an audit entry was about (``case #3``), in ``t``'s language; settings and others by their kind."""
    kind, _, key = subject.partition(":")
    if kind in SUBJECT_LABELS and key.isdigit():
        return t.gettext(SUBJECT_LABELS[kind], id=int(key))
    if kind == "settings":
        return t.gettext("network settings")
    return "—"
