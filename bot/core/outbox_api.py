"""The one way into the outbox: what to send to whom, what to edit everywhere, what to delete.

Handlers (and the features' delivery hooks) say what a message is and who gets it; this module encodes it,
derives the reading direction from the target's language and the chat kind from the target (or, for edits
and deletions, from the copy delivered earlier), and writes the rows in the caller's transaction. Revisions
come from the named policies in :mod:`bot.core.revisions`.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import revisions
from bot.core.codec import encode, encode_erasure
from bot.core.events import Button
from bot.core.i18n import translator
from storage import deliveries, edits
from storage.appeals import queue_copies
from storage.models import utcnow
from storage.outbox import DELETE, ERASE, NORMAL, URGENT, OutboxRepository, Target

Buttons = Sequence[Sequence[Button]]
Draft = tuple[str, Buttons]  # a message's text and its rows of buttons, in one language
RECEIPT_LANGUAGE = "en"  # a receipt keeps no text: its language is never read


@dataclass(frozen=True)
class Message:
    """One message of a broadcast: to whom, its text (in ``target.language``), buttons, what it replies to."""

    target: Target
    text: str
    buttons: Buttons = ()
    reply_to: str | None = None


def _payload(target: Target, text: str, buttons: Buttons = (), reply_to: str | None = None) -> str:
    return encode(text, buttons, translator(target.language).rtl, reply_to, target.kind)


def encode_draft(language: str, draft: Draft) -> str:
    """A message in ``language`` encoded for the outbox, right-to-left when the language is."""
    text, buttons = draft
    return encode(text, buttons, translator(language).rtl)


class Outbox:
    """Queue messages in the caller's transaction (see the module's docstring)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def send(
        self,
        subject: str,
        target: Target,
        text: str,
        buttons: Buttons = (),
        *,
        priority: int = NORMAL,
        revision: int = revisions.ONCE,
        reply_to: str | None = None,
    ) -> bool:
        """Queue one message to ``target``; ``text`` must already be in ``target.language``.

        Returns:
            False when the same (subject, target, revision) was already queued.
        """
        row = await OutboxRepository(self.session).enqueue(
            subject, target, _payload(target, text, buttons, reply_to), priority=priority, revision=revision
        )
        return row is not None

    async def send_many(
        self,
        subject: str,
        messages: Iterable[Message],
        *,
        priority: int = NORMAL,
        revision: int = revisions.ONCE,
        held: bool = False,
        operation: str = "send",
    ) -> int:
        """Queue one message per target in one statement (a broadcast to thousands of chats).

        The rows must be new (a fresh revision, taken under the subject's row lock): should that ever be
        wrong, the unique constraint fails the transaction rather than doubling a message. ``held`` rows wait
        for a second person's approval; ``operation="edit"`` replaces each target's copy with its own text
        (when every copy's text differs, e.g. by its reader's timezone). Returns how many rows were queued.
        """
        items = [(m.target, _payload(m.target, m.text, m.buttons, m.reply_to)) for m in messages]
        status = "held" if held else "pending"
        return await queue_copies(
            self.session,
            subject,
            items,
            priority=priority,
            revision=revision,
            operation=operation,
            status=status,
        )

    async def edit_all(
        self,
        subject: str,
        render: Callable[[str], Draft | Awaitable[Draft]],
        *,
        coalesce: timedelta | None = None,
        revision: int | None = None,
        priority: int = NORMAL,
    ) -> int:
        """Edit every delivered copy of ``subject`` with ``render(language)`` for the copy's language.

        One statement writes the edits of every copy, whatever their number.

        Args:
            subject: whose copies are edited.
            render: the text and buttons in one language (called, or awaited, once per language of the copies).
            coalesce: at most one edit per copy and window of this length; the last change within the
                window lands when it ends (live counts, live status).
            revision: otherwise, the revision of the edit (e.g. a document's version): a copy already edited
                at this revision is left alone.
            priority: the rows' priority.

        Returns:
            How many edit rows were queued (or rewritten, when coalescing).
        """
        if coalesce is not None:
            window = revisions.coalescing(coalesce, utcnow())
            state = await edits.window_state(self.session, subject, window.revision)
            return await edits.queue_coalesced_edits(
                self.session,
                subject,
                await self._payloads(state.languages, render),
                revision=window.revision,
                release=window.release,
                priority=priority,
                state=state,
            )
        if revision is None:
            raise ValueError("edit_all needs a coalescing window or a revision")
        languages = await edits.copy_languages(self.session, subject)
        return await edits.enqueue_edit_everywhere(
            self.session,
            subject,
            await self._payloads(languages, render),
            revision=revision,
            priority=priority,
        )

    async def edit_live(self, subject: str, *, coalesce: timedelta, priority: int = NORMAL) -> int:
        """Edit every delivered copy of ``subject`` with its live text, rendered when the edit leaves.

        The subject's feature declares the text (``@router.live_text(kind)``); the outbox worker renders it
        once per language when the window of ``coalesce`` ends. Only the window's first change writes the
        edits; every later change within it writes nothing here, so a burst of sign-ons of one letter does
        not queue on the same rows, and the copies show what was committed when the window ended.

        Returns:
            How many edit rows were queued (0 for a change within a window already open).
        """
        window = revisions.coalescing(coalesce, utcnow())
        return await edits.queue_coalesced_edits(
            self.session, subject, None, revision=window.revision, release=window.release, priority=priority
        )

    @staticmethod
    async def _payloads(
        languages: list[str], render: Callable[[str], Draft | Awaitable[Draft]]
    ) -> dict[str, str]:
        """Each language's edit, rendered once and encoded (right-to-left from the language)."""
        payloads = {}
        for language in languages:
            draft = render(language)
            payloads[language] = encode_draft(language, await draft if inspect.isawaitable(draft) else draft)
        return payloads

    async def retry_failed(self, subject: str) -> int:
        """Send again every copy of ``subject`` that failed (its last error stays until it goes); how many."""
        return await deliveries.requeue_failed(self.session, subject)

    async def delete(self, subject: str, target: Target, revision: int) -> bool:
        """Delete the message sent (or recorded by receipt) under ``subject`` to ``target``, durably."""
        row = await OutboxRepository(self.session).enqueue(
            subject,
            target,
            encode("", kind=target.kind),
            priority=URGENT,
            revision=revision,
            operation=DELETE,
        )
        return row is not None

    async def erase(self, subject: str, target: Target, message_ids: Sequence[str]) -> bool:
        """Delete messages whose platform ids are known (what a person typed in a report), durably."""
        if not message_ids:
            return False
        payload = encode_erasure(message_ids, target.kind)
        row = await OutboxRepository(self.session).enqueue(
            subject, target, payload, priority=URGENT, operation=ERASE
        )
        return row is not None

    async def record_receipt(self, subject: str, target: Target, message_id: str) -> None:
        """Record a message sent directly (not queued) under ``subject``, so :meth:`delete` finds it later."""
        await deliveries.record_receipt(
            self.session, subject, target, message_id, encode("", kind=target.kind)
        )
