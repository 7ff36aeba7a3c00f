"""Encrypted columns bound to their row, and look-ups by keyed hash (see :mod:`storage.crypto`).

A sealed column holds a token that opens only in its own table, column and row: each row carries a random
``seal``, and the token embeds a digest of (table.column, seal). Reads select ``seal || ':' || token`` (the
type's column expression) so every result row brings what is needed to check the binding; writes go
through the ORM, whose flush events seal each changed value with its row's seal (a bulk insert uses
:func:`sealed_values`). A raw string given to a sealed column outside these paths is refused.

A sealed column declared with :func:`looked_up` also keeps a look-up hash in a sibling column, and its
attribute compares by that hash: ``Identity.user_id == "12345"`` becomes ``identities.user_hash IN
(<hash under each configured key>)``, so repositories and handlers query as before.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, cast

from sqlalchemy import Column, ColumnElement, Dialect, Text, TypeDecorator, event, literal, type_coerce
from sqlalchemy.orm import ColumnProperty, InstanceState, Mapper, column_property, object_mapper
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql import operators

from storage.crypto import active_keyring

SEAL = "seal"  # the column holding each row's random seal
_PENDING = "sealed_plaintexts"


def new_seal() -> str:
    """A fresh random row seal (not a secret: it only makes each row's binding different)."""
    return secrets.token_urlsafe(12)


@dataclass(frozen=True)
class SealedValue:
    """A token already sealed for its row (what the column type writes as is)."""

    token: str


class EncryptedText(TypeDecorator[str]):
    """Text encrypted with the installed keyring and bound to its row (``context`` is ``table.column``)."""

    impl = Text
    cache_ok = True

    def __init__(self, context: str = "") -> None:
        super().__init__()
        self.context = context

    def to_text(self, value: Any) -> str:
        """The stored text of a Python value."""
        return str(value)

    def from_text(self, text: str) -> Any:
        """The Python value of a stored text."""
        return text

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if isinstance(value, SealedValue):
            return value.token
        raise TypeError(f"{self.context}: an encrypted value is written through the ORM, sealed to its row")

    def column_expression(self, colexpr: ColumnElement[Any]) -> ColumnElement[Any]:
        seal = cast(Any, colexpr).table.c[SEAL]
        return type_coerce(seal.concat(literal(":")).concat(type_coerce(colexpr, Text())), self)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        seal, _, token = value.partition(":")
        return self.from_text(active_keyring().open(self.context, seal, token))

    def open(self, seal: str, token: str | None) -> Any:
        """The value of a raw stored ``token`` of a row sealed with ``seal`` (reads that bypass the ORM)."""
        return None if token is None else self.from_text(active_keyring().open(self.context, seal, token))


class EncryptedInt(EncryptedText):
    """An integer (a person's number) stored like :class:`EncryptedText`."""

    cache_ok = True

    def from_text(self, text: str) -> Any:
        return int(text)


class LookupComparator(ColumnProperty.Comparator[Any]):
    """Equality and membership of a sealed attribute, answered by its look-up hash column."""

    def operate(self, op: Any, *other: Any, **kwargs: Any) -> ColumnElement[Any]:
        column = cast(Any, self.__clause_element__())
        sealed = cast(Column[Any], self.prop.columns[0])
        kind = cast(EncryptedText, sealed.type)
        hashed = column.table.c[sealed.info["lookup"]]
        if op in (operators.eq, operators.ne, operators.in_op, operators.not_in_op):
            values = [other[0]] if op in (operators.eq, operators.ne) else list(other[0])
            keyring = active_keyring()
            hashes = [h for v in values for h in keyring.lookups(kind.context, kind.to_text(v))]
            if op in (operators.eq, operators.in_op):
                return cast(ColumnElement[Any], hashed.in_(hashes))
            return cast(ColumnElement[Any], hashed.not_in(hashes))
        if op in (operators.is_, operators.is_not):
            return cast(ColumnElement[Any], op(column, *other, **kwargs))
        raise TypeError(f"{kind.context} is encrypted: only equality and membership can be queried")


def looked_up(
    context: str, lookup: str, *, kind: type[EncryptedText] = EncryptedText, nullable: bool = False
) -> Any:
    """A sealed column whose attribute is queried through the look-up hash column named ``lookup``."""
    return column_property(
        Column(context.split(".")[1], kind(context), nullable=nullable, info={"lookup": lookup}),
        comparator_factory=LookupComparator,
    )


@dataclass(frozen=True)
class _Spec:
    key: str
    type: EncryptedText
    lookup: str | None


@cache
def _specs(mapper: Mapper[Any]) -> tuple[_Spec, ...]:
    found = []
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        if isinstance(column, Column) and isinstance(column.type, EncryptedText):
            found.append(_Spec(prop.key, column.type, column.info.get("lookup")))
    return tuple(found)


def _seal_target(target: Any, changed: Callable[[str], bool]) -> None:
    """Seal every changed plaintext of ``target`` to its row, and set its look-up hashes."""
    specs = _specs(object_mapper(target))
    if not specs:
        return
    if not getattr(target, SEAL, None):
        setattr(target, SEAL, new_seal())
    keyring = active_keyring()
    state = cast(InstanceState[Any], target._sa_instance_state)
    pending: dict[str, Any] = {}
    for spec in specs:
        value = state.dict.get(spec.key)
        if not changed(spec.key) or isinstance(value, SealedValue):
            continue
        if value is None:
            if spec.lookup:
                setattr(target, spec.lookup, None)
            continue
        text = spec.type.to_text(value)
        if spec.lookup:
            setattr(target, spec.lookup, keyring.lookup(spec.type.context, text))
        pending[spec.key] = value
        setattr(target, spec.key, SealedValue(keyring.seal(spec.type.context, getattr(target, SEAL), text)))
    if pending:
        state.info[_PENDING] = pending


def _restore(_mapper: Mapper[Any], _connection: Any, target: Any) -> None:
    """After the write, the object holds plaintext again (handlers read it after commit)."""
    state = cast(InstanceState[Any], target._sa_instance_state)
    for key, value in state.info.pop(_PENDING, {}).items():
        set_committed_value(target, key, value)


def register(base: type[Any]) -> None:
    """Seal values of every model derived from ``base`` when they are flushed."""

    def before_insert(_mapper: Mapper[Any], _connection: Any, target: Any) -> None:
        _seal_target(target, lambda key: True)

    def before_update(_mapper: Mapper[Any], _connection: Any, target: Any) -> None:
        state = cast(InstanceState[Any], target._sa_instance_state)
        _seal_target(target, lambda key: state.attrs[key].history.has_changes())

    event.listen(base, "before_insert", before_insert, propagate=True)
    event.listen(base, "before_update", before_update, propagate=True)
    event.listen(base, "after_insert", _restore, propagate=True)
    event.listen(base, "after_update", _restore, propagate=True)


def sealed_values(model: type[Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """The row ``values`` of a bulk insert of ``model``, with a seal, its values sealed and hashes set."""
    row = dict(values)
    row[SEAL] = seal = row.get(SEAL) or new_seal()
    keyring = active_keyring()
    for spec in _specs(cast(Mapper[Any], model.__mapper__)):
        value = row.get(spec.key)
        if value is None or isinstance(value, SealedValue):
            continue
        text = spec.type.to_text(value)
        if spec.lookup:
            row[spec.lookup] = keyring.lookup(spec.type.context, text)
        row[spec.key] = SealedValue(keyring.seal(spec.type.context, seal, text))
    return row


def lookup_hashes(context: str, values: Sequence[str]) -> list[str]:
    """Every configured key's look-up hashes of ``values`` (for queries written by hand)."""
    keyring = active_keyring()
    return [h for v in values for h in keyring.lookups(context, v)]
