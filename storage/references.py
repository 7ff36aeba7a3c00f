"""Human references such as ``UA-2026-014`` or ``SOS-2026-0042``: per-year sequences, safe under races.

The next number is read from the highest existing reference and the row inserted in a savepoint; if
another transaction took that number first, the unique constraint refuses it and the next one is tried.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Base, utcnow

T = TypeVar("T", bound=Base)


async def allocate(
    session: AsyncSession,
    model: type[T],
    prefix: str,
    digits: int,
    build: Callable[[str], T],
    attempts: int = 20,
) -> T:
    """Insert ``build(reference)`` with the year's next free reference ``PREFIX-YYYY-NNN``."""
    year_prefix = f"{prefix}-{utcnow().year}-"
    column: Any = model.reference  # type: ignore[attr-defined]
    # Longest first, then highest: "UA-2026-1000" follows "UA-2026-999" although it sorts before it as text.
    highest = (
        await session.execute(
            select(column)
            .where(column.like(f"{year_prefix}%"))
            .order_by(func.length(column).desc(), column.desc())
            .limit(1)
        )
    ).scalar()
    number = int(highest.rsplit("-", 1)[1]) if highest else 0
    for _ in range(attempts):
        number += 1
        row = build(f"{year_prefix}{number:0{digits}d}")
        try:
            async with session.begin_nested():
                session.add(row)
        except IntegrityError:
            continue
        return row
    raise RuntimeError(f"could not allocate a {prefix} reference")
