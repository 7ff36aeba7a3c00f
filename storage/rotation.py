"""``sosbot rotate-key``: re-encrypt every encrypted value under the newest key, in small committed batches.

One transaction over the whole store would hold SQLite's write lock for minutes and lose everything on an
interruption. Batches commit one by one, and a value already under the newest key is skipped, so running the
command again after an interruption (or twice) finishes the work without redoing it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy import Text, bindparam, select, type_coerce, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.crypto import DecryptionError, Keyring
from storage.keycheck import encrypted_columns, rewrite_check

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
    async with sessions() as session, session.begin():
        await rewrite_check(session, keyring)
    return changed
