"""The event path's cost in round trips to the store: a button press answered by a no-op handler, from a person
the bot knows already (the common case), takes a small fixed number of statements, on SQLite and PostgreSQL.

Every statement (savepoints included) and every commit is one round trip to aiosqlite's thread or to the
PostgreSQL server; at 100 presses in flight they, not the handler, set the event path's ceiling.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, func, select

from bot.app import App
from bot.core.context import Context
from bot.core.events import ActionEvent, Actor, ChatKind, ChatRef, Edit, Event
from bot.core.router import Route
from storage.models import ProcessedEvent

NO_OP = "round-trips-no-op"
# Who acted with their flow in progress (one joined query), the event's claim (one upsert), the commit; one to
# spare. It was nine on SQLite and PostgreSQL before (a look-up, a savepoint around the claim, the identity, the
# person, the claim's owner, the flow, the commit).
MOST_ROUND_TRIPS = 4


@contextmanager
def round_trips(app: App) -> Iterator[list[str]]:
    """Every statement the store runs inside the block, and each commit (one round trip each)."""
    seen: list[str] = []

    def statement(*args: Any) -> None:
        seen.append(str(args[2]).split("\n", 1)[0])  # (connection, cursor, statement, parameters, …)

    def commit(_connection: Any) -> None:
        seen.append("COMMIT")

    engine = app.engine.sync_engine
    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "commit", commit)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "commit", commit)


def press(number: int, user: str = "4242") -> ActionEvent:
    actor = Actor("telegram", user, display_name="Member", language_hint="en")
    chat = ChatRef("telegram", user, kind=ChatKind.PRIVATE)
    return ActionEvent(f"press-{number}", actor, chat, action=NO_OP, payload="1", message_id="77")


async def test_a_known_persons_press_on_a_no_op_handler_takes_few_round_trips(any_app: App) -> None:
    async def confirm_only(ctx: Context, _event: Event) -> None:
        ctx.edit(ctx._("Signing has ended."))

    any_app.dispatcher.router.actions[NO_OP] = Route(confirm_only)
    first = await any_app.dispatcher.handle(press(1))  # the newcomer is created here
    assert [type(item) for item in first.outgoing] == [Edit]

    with round_trips(any_app) as seen:
        outcome = await any_app.dispatcher.handle(press(2))
    assert [item.text for item in outcome.outgoing] == ["Signing has ended."]  # type: ignore[union-attr]
    assert len(seen) <= MOST_ROUND_TRIPS, seen

    replay = await any_app.dispatcher.handle(press(2))  # the platform retries: answered once only
    assert replay.duplicate and not replay.outgoing
    async with any_app.sessions() as session:
        claimed = (await session.execute(select(func.count()).select_from(ProcessedEvent))).scalar_one()
    assert claimed == 2
