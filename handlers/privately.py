"""Answering one secretariat member privately when they asked in a group (case views, lists of persons).

A group's history is kept by the platform, outside our encryption, and read by everyone in it: what names
a person or tells a case's story goes to the asker's private chat with the bot, and the group gets a short
note. Platform-neutral: the private chat is the one the person last wrote to the bot from, on the same
platform (the outbox's and adapters' usual target for a private chat).
"""

from __future__ import annotations

from bot.core.context import Context
from bot.core.events import ActionEvent, ChatKind, ChatRef


async def private_chat(ctx: Context) -> ChatRef | None:
    """The acting person's private chat with the bot on this event's platform, when known."""
    identity = await ctx.store.persons.private_identity(ctx.person.id, ctx.chat.platform)
    if identity is None or identity.private_chat_id is None:
        return None
    return ChatRef(identity.platform, identity.private_chat_id, identity.workspace, ChatKind.PRIVATE)


async def answer_privately(ctx: Context) -> bool:
    """Point the context's answers at the person's private chat; False when there is none (told so).

    In a private chat nothing changes. In a group the group gets only a short note (a button press gets
    a notice, which leaves nothing in the group's history), and every later ``ctx.reply`` goes privately.
    """
    if ctx.chat.is_private:
        return True
    private = await private_chat(ctx)
    pressed = isinstance(ctx.event, ActionEvent)
    if private is None:
        _note(ctx, pressed, ctx._("I cannot write to you privately yet: open a private chat with me, type START, "
                                  "then ask again."))  # fmt: skip
        return False
    _note(ctx, pressed, ctx._("Sent to you privately."))
    ctx.chat = private
    return True


def _note(ctx: Context, pressed: bool, text: str) -> None:
    if pressed:
        ctx.notice(text)
    else:
        ctx.reply(text)
