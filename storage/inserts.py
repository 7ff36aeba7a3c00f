"""Inserts that a unique constraint may refuse, built once per dialect and run without a savepoint."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Table, bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase


def dialect_of(session: AsyncSession) -> Any:
    """The SQLAlchemy dialect module (``postgresql`` or ``sqlite``) whose ``insert`` has ``ON CONFLICT``."""
    return postgresql if session.get_bind().dialect.name == "postgresql" else sqlite


class InsertOnce:
    """``INSERT … ON CONFLICT DO NOTHING RETURNING id`` of one row of ``model``.

    The constraint decides between simultaneous inserts (an event claimed twice, two members of an
    organisation pressing Sign together) and the transaction is never spoilt by it, so no savepoint is needed:
    one round trip instead of three. Built once: every incoming event runs one, and building a statement cost
    more than running it.
    """

    def __init__(self, model: type[DeclarativeBase], columns: Sequence[str], unique: Sequence[str]) -> None:
        table = cast(Table, model.__table__)
        self.columns = tuple(columns)
        self._statements = {
            dialect: dialect.insert(table)
            .values({name: bindparam(name) for name in columns})
            .on_conflict_do_nothing(index_elements=list(unique))
            .returning(table.c.id)
            for dialect in (postgresql, sqlite)
        }

    async def __call__(self, session: AsyncSession, values: Mapping[str, Any]) -> int | None:
        """The new row's id, or None when the constraint refused it (the row was there already)."""
        statement = self._statements[dialect_of(session)]
        result = await session.execute(statement, {name: values.get(name) for name in self.columns})
        found = result.scalar_one_or_none()
        return None if found is None else int(found)
