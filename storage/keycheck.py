"""The database remembers which key protects it, and whether it is the sandbox's.

A key check value (a fixed constant encrypted under the newest key) is written at first start; every later
start decrypts it, so a wrong ``SOS_DATA_KEY`` stops the process with one line instead of apologising to
every defender or purging nothing. The sandbox's key is public: a database is marked as the sandbox's when
the sandbox creates it, and that key is refused for any database without the mark.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import Column, Table, Text, select, type_coerce
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.crypto import DecryptionError, Keyring
from storage.models import Base, EncryptedText, Setting

KEY_CHECK = "data_key_check"
SANDBOX_MARK = "sandbox_database"
CHECK_TEXT = "sosbot key check v1"


class KeyCheckError(RuntimeError):
    """The configured key cannot open this database; the message is one line naming ``SOS_DATA_KEY``."""


WRONG_KEY = (
    "SOS_DATA_KEY: no configured key opens this database (a wrong or missing key; "
    "after a rotation keep the old key listed until `sosbot rotate-key` has finished)"
)
SANDBOX_REFUSED = (
    "SOS_DATA_KEY: the sandbox's public key is refused for this database, which is not the sandbox's "
    "(set SOS_DATA_KEY to its key, or use another SOS_DATABASE_URL for the sandbox)"
)


def encrypted_columns() -> Iterator[tuple[Table, Column[str], Column[object]]]:
    """Every encrypted column of the schema, with its table and the table's (single) primary key."""
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, EncryptedText):
                (primary_key,) = table.primary_key.columns
                yield table, column, primary_key


async def verify_data_key(sessions: async_sessionmaker[AsyncSession], keyring: Keyring) -> None:
    """Check ``keyring`` against the database, writing the check value (and the sandbox mark) the first time.

    Raises:
        KeyCheckError: a wrong key, or the sandbox's key on a database that is not the sandbox's.
    """
    for attempt in (1, 2):
        try:
            async with sessions() as session, session.begin():
                await _verify(session, keyring)
            return
        except IntegrityError:  # another process wrote the check value first: verify against it
            if attempt == 2:
                raise


async def _verify(session: AsyncSession, keyring: Keyring) -> None:
    check = await session.get(Setting, KEY_CHECK)
    marked = await session.get(Setting, SANDBOX_MARK) is not None
    if check is not None:
        if keyring.uses_sandbox_key and not marked:
            raise KeyCheckError(SANDBOX_REFUSED)
        if not _opens(keyring, check.value):
            raise KeyCheckError(WRONG_KEY)
        return
    # First start with this check (a new database, or one from before it): data already stored must open.
    sample = await _any_encrypted_value(session)
    if sample is not None and not keyring.authenticates(sample):
        raise KeyCheckError(SANDBOX_REFUSED if keyring.uses_sandbox_key else WRONG_KEY)
    session.add(Setting(key=KEY_CHECK, value=keyring.encrypt(CHECK_TEXT)))
    if keyring.uses_sandbox_key and not marked:
        session.add(Setting(key=SANDBOX_MARK, value="1"))
    await session.flush()


def _opens(keyring: Keyring, token: str) -> bool:
    try:
        return keyring.decrypt(token) == CHECK_TEXT
    except (DecryptionError, UnicodeEncodeError):
        return False


async def _any_encrypted_value(session: AsyncSession) -> str | None:
    """One stored encrypted value, raw (not decrypted), or None when nothing encrypted is stored yet."""
    for _, column, _ in encrypted_columns():
        query = select(type_coerce(column, Text())).where(column.is_not(None)).limit(1)
        value = (await session.execute(query)).scalar_one_or_none()
        if value is not None:
            return str(value)
    return None


async def rewrite_check(session: AsyncSession, keyring: Keyring) -> None:
    """Put the check value under the newest key (the last step of a rotation)."""
    check = await session.get(Setting, KEY_CHECK)
    if check is None:
        session.add(Setting(key=KEY_CHECK, value=keyring.encrypt(CHECK_TEXT)))
    elif not keyring.is_newest(check.value):
        check.value = keyring.rotate(check.value)
