"""The questions of a threat report: their order, choices and labels (translated where shown)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.i18n import N_

WHO = {
    "me": N_("Me"),
    "person": N_("Another person"),
    "organisation": N_("An organisation"),
    "community": N_("A community"),
}
THREATS = {
    "detention": N_("Detention"),
    "criminalisation": N_("Criminalisation"),
    "attack": N_("Physical attack or threat"),
    "killing": N_("Killing"),
    "disappearance": N_("Enforced disappearance"),
    "smear": N_("Smear campaign or harassment"),
    "digital": N_("Digital attack"),
    "eviction": N_("Eviction or dispossession"),
    "other": N_("Other"),
}
URGENCY = {
    "immediate": N_("Immediate danger"),
    "days": N_("Within days"),
    "ongoing": N_("Ongoing"),
}
SUPPORT = {
    "letter": N_("Collective letter"),
    "statement": N_("Public statement"),
    "protection": N_("Protection (physical security, relocation)"),
    "legal": N_("Legal support"),
    "media": N_("Media"),
}
CONSENT = {
    "secretariat": N_("The secretariat only"),
    "advisory": N_("The advisory group too"),
    "network": N_("The whole network"),
}
YES_NO = {"yes": N_("Yes"), "no": N_("No")}
AT_RISK_SEPARATOR = " — "  # a case stores who is at risk as ``person — Ana López`` (the key, then the names)


def split_at_risk(at_risk: str | None) -> tuple[str | None, str]:
    """(the ``WHO`` key or None, the names typed) of a case's stored ``at_risk``."""
    if not at_risk:
        return None, ""
    key, separator, names = at_risk.partition(AT_RISK_SEPARATOR)
    if key in WHO:
        return key, names.strip() if separator else ""
    return None, at_risk.strip()  # names alone (no answer to "who")


@dataclass(frozen=True)
class Step:
    """One question: its prompt, its choices (None for free text), and whether the answer is sensitive."""

    name: str
    prompt: str
    choices: dict[str, str] | None = None
    secret: bool = False
    optional: bool = False
    limit: int = 0  # free text: the most characters accepted (what fits the column and a screen)

    @property
    def free_text(self) -> bool:
        """Answered by writing (or, where typed messages stay in the chat, in a form)."""
        return self.choices is None and self.name != "confirm"


STEPS: tuple[Step, ...] = (
    Step("who", N_("Who is at risk?"), WHO),
    Step(
        "names",
        N_("Names of the people at risk, if you wish (or - to skip)."),
        secret=True,
        optional=True,
        limit=500,
    ),
    Step("country", N_("In which country? Write its name, or part of it."), limit=100),
    Step("place", N_("Where exactly (town, region)?"), secret=True, limit=300),
    Step("threat", N_("What kind of threat?"), THREATS),
    Step(
        "what",
        N_("What happened? Write as much as you can; nothing is shared without your consent."),
        secret=True,
        limit=3000,
    ),
    Step("when", N_("When did it happen?"), secret=True, limit=200),
    Step("urgency", N_("How urgent is it?"), URGENCY),
    Step("support", N_("What support do you ask for? Choose one or more, then Done."), SUPPORT),
    Step(
        "contact",
        N_("How may the secretariat contact you? Write it, or choose this chat only."),
        secret=True,
        limit=300,
    ),
    Step("consent", N_("Who may see this report?"), CONSENT),
    Step("publish", N_("May names be published (for example in a public statement)?"), YES_NO),
    Step("confirm", N_("Please check your report.")),
)
ORDER = tuple(step.name for step in STEPS)
BY_NAME = {step.name: step for step in STEPS}
