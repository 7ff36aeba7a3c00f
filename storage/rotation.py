"""``sosbot rotate-key``: re-encrypt every encrypted value under the newest key, in small committed batches.

One transaction over the whole store would hold SQLite's write lock for minutes and lose everything on an
interruption. Batches commit one by one, and a value already under the newest key is skipped, so running the
command again after an interruption (or twice) finishes the work without redoing it.

Look-up hashes are derived from the data key (see :mod:`storage.crypto`), so they are rewritten under the
newest key too: each sealed look-up value is opened and hashed again, and the owners of processed events are
matched against every person's number. Processed event ids themselves cannot be hashed again (only their hash
is kept): look-ups keep trying the older keys' hashes, and purge drops them after the retention.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import cast

from sqlalchemy import Text, bindparam, select, type_coerce, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.crypto import DecryptionError, Keyring
from storage.keycheck import encrypted_columns, rewrite_check
from storage.models import SEAL, EncryptedText, Person, ProcessedEvent
from storage.repositories import EVENT_OWNER

BATCH_SIZE = 500


async def rotate_keys(
    sessions: async_sessionmaker[AsyncSession],
    keyring: Keyring,
    *,
    batch_size: int = BATCH_SIZE,
    after_batch: Callable[[int], Awaitable[None]] | None = None,
) -> int:
    """Re-encrypt what is not yet under ``keyring``'s newest key; returns how many values changed.

    Args:
        sessions: the store.
        keyring: every key that may have encrypted a stored value, newest first.
        batch_size: rows read and committed together.
        after_batch: awaited with the running count after each committed batch (progress; tests interrupt here).
    """
    changed = 0
    for table, column, primary_key in encrypted_columns():
        last: object = None
        while True:
            async with sessions() as session, session.begin():
                query = select(primary_key, type_coerce(column, Text())).where(column.is_not(None))
                if last is not None:
                    query = query.where(primary_key > last)
                rows = (await session.execute(query.order_by(primary_key).limit(batch_size))).all()
                if not rows:
                    break
                for key, token in rows:
                    if keyring.is_newest(token):
                        continue
                    try:
                        rotated = keyring.rotate(token)
                    except DecryptionError:
                        raise DecryptionError(
                            f"{table.name}.{column.name} of row {key} opens with no configured key"
                        ) from None
                    # A raw bind: the column's own type would encrypt the token a second time.
                    value = bindparam("value", rotated, type_=Text())
                    await session.execute(
                        update(table).where(primary_key == key).values({column.name: value})
                    )
                    changed += 1
                last = rows[-1][0]
            if after_batch is not None:
                await after_batch(changed)
    await _rehash(sessions, keyring, batch_size, after_batch, changed)  # derived: not counted as values
    async with sessions() as session, session.begin():
        await rewrite_check(session, keyring)
    return changed


async def _rehash(
    sessions: async_sessionmaker[AsyncSession],
    keyring: Keyring,
    batch_size: int,
    after_batch: Callable[[int], Awaitable[None]] | None,
    done: int,
) -> int:
    """Rewrite every look-up hash under the newest key; returns how many changed."""
    changed = 0
    for table, column, primary_key in encrypted_columns():
        lookup = column.info.get("lookup")
        if not lookup:
            continue
        kind = cast(EncryptedText, column.type)
        hashed = table.c[lookup]
        last: object = None
        while True:
            async with sessions() as session, session.begin():
                query = select(primary_key, table.c[SEAL], type_coerce(column, Text()), hashed).where(
                    column.is_not(None)
                )
                if last is not None:
                    query = query.where(primary_key > last)
                rows = (await session.execute(query.order_by(primary_key).limit(batch_size))).all()
                if not rows:
                    break
                for key, seal, token, old in rows:
                    new = keyring.lookup(
                        kind.context, kind.to_text(kind.from_text(keyring.open(kind.context, seal, token)))
                    )
                    if new != old:
                        await session.execute(update(table).where(primary_key == key).values({lookup: new}))
                        changed += 1
                last = rows[-1][0]
            if after_batch is not None:
                await after_batch(done + changed)
    async with sessions() as session, session.begin():
        owners = {
            old: keyring.lookup(EVENT_OWNER, str(pid))
            for pid in (await session.execute(select(Person.id))).scalars()
            for old in keyring.lookups(EVENT_OWNER, str(pid))[1:]
        }
        for old, new in owners.items():
            result = await session.execute(
                update(ProcessedEvent).where(ProcessedEvent.owner == old).values(owner=new)
            )
            changed += int(getattr(result, "rowcount", 0) or 0)
    return changed
