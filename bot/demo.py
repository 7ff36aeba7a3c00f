"""``sosbot demo``: a scripted scenario played through the real dispatcher and store, printed as a transcript."""

from __future__ import annotations

import sys
from typing import TextIO

from bot.adapters.console import ConsoleChat
from bot.app import App
from bot.sandbox import find, seed


async def play(app: App, out: TextIO | None = None) -> int:
    """Play the onboarding scenario in several languages; returns 0 when it ran to the end."""
    out = out or sys.stdout
    await seed(app.sessions)

    def chat(key: str, hint: str | None = None) -> ConsoleChat:
        person = find(key)
        return ConsoleChat(app.dispatcher, key, person.name if person else key, language_hint=hint)

    newcomer = chat("ines", "pt-BR")
    secretariat = chat("amina")
    member = chat("lucia")
    await newcomer.say("/start")
    await newcomer.press("Español")
    await newcomer.say("AYUDA")
    await newcomer.say("/join")
    await newcomer.say("Colectivo Tierra y Libertad")
    await newcomer.say("Guatemala")
    await secretariat.say("ORGS")
    await secretariat.say("VERIFY 6")
    await member.say("AYUDA")
    await secretariat.say("/audit")
    for name, transcript in (("ines", newcomer), ("amina", secretariat), ("lucia", member)):
        out.write(f"=== {name} ===\n")
        out.write("\n".join(transcript.lines()) + "\n\n")
    return 0
