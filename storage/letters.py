"""Collective letters: references, texts, signatures (one per organisation, by constraint), live counts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.appeals import set_setting, setting
from storage.inserts import InsertOnce
from storage.models import Identity, Letter, LetterText, Organisation, Person, Role, Signature, utcnow
from storage.outbox import Target
from storage.references import allocate
from storage.targeting import TargetSpec, parse, private_chat_of


@dataclass(frozen=True)
class Signatory:
    """One line of the published list."""

    organisation: str
    country: str
    signer: str  # the person's name only where they consented, else ""
    signed_at: datetime


_SIGN = InsertOnce(
    Signature,
    ("letter_id", "signer_key", "organisation_id", "person_id", "publish_name", "platform", "signed_at"),
    ("letter_id", "signer_key"),
)


class LetterRepository:
    """Letters, their texts and signatures."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def create(self, author_id: int, addressee: str) -> Letter:
        """A new draft with the year's next ``CL-YYYY-NNN`` reference."""
        return await allocate(
            self.session,
            Letter,
            "CL",
            3,
            lambda ref: Letter(reference=ref, addressee=addressee, created_by=author_id),
        )

    async def by_reference(self, reference: str) -> Letter | None:
        """The letter with this reference (case-insensitive)."""
        result = await self.session.execute(
            select(Letter).where(Letter.reference == reference.strip().upper())
        )
        return result.scalar_one_or_none()

    async def by_reference_locked(self, reference: str) -> Letter | None:
        """The letter with this reference, its row locked until the transaction ends (PostgreSQL).

        Two secretariat members publishing or approving at once then act one after the other.
        """
        result = await self.session.execute(
            select(Letter).where(Letter.reference == reference.strip().upper()).with_for_update()
        )
        return result.scalar_one_or_none()

    async def texts(self, letter_id: int) -> dict[str, str]:
        """The letter's body by language, the original (first written) language first."""
        result = await self.session.execute(
            select(LetterText).where(LetterText.letter_id == letter_id).order_by(LetterText.id)
        )
        return {text.language: text.body for text in result.scalars().all()}

    async def target(self, letter_id: int) -> TargetSpec:
        """Who the letter goes to (everyone until the secretariat narrows it)."""
        stored = await setting(self.session, f"letter_target:{letter_id}", "all")
        return parse(stored.rstrip(":")) or TargetSpec()

    async def set_target(self, letter_id: int, spec: TargetSpec) -> None:
        """Keep the target (a setting until the letters table has a target column)."""
        await set_setting(self.session, f"letter_target:{letter_id}", str(spec))

    async def set_text(self, letter_id: int, language: str, body: str) -> None:
        """Add or replace the body in ``language``."""
        result = await self.session.execute(
            select(LetterText).where(LetterText.letter_id == letter_id, LetterText.language == language)
        )
        existing = result.scalar_one_or_none()
        if existing is None:
            self.session.add(LetterText(letter_id=letter_id, language=language, body=body))
        else:
            existing.body = body
        await self.session.flush()

    async def sign(self, letter_id: int, signer_key: str, **fields: object) -> bool:
        """Insert a signature; False when this organisation (or person) already signed.

        The UNIQUE(letter_id, signer_key) constraint decides, so two simultaneous presses give one signature.
        """
        values = {
            "letter_id": letter_id,
            "signer_key": signer_key,
            "publish_name": False,
            "signed_at": utcnow(),
        }
        return await _SIGN(self.session, {**values, **fields}) is not None

    async def signature(self, letter_id: int, signer_key: str) -> Signature | None:
        """The signature for this organisation or person, if any."""
        result = await self.session.execute(
            select(Signature).where(Signature.letter_id == letter_id, Signature.signer_key == signer_key)
        )
        return result.scalar_one_or_none()

    async def withdraw(self, letter_id: int, signer_key: str) -> bool:
        """Remove a signature; False when there was none."""
        result = await self.session.execute(
            delete(Signature).where(Signature.letter_id == letter_id, Signature.signer_key == signer_key)
        )
        return bool(getattr(result, "rowcount", 0))

    async def count(self, letter_id: int) -> int:
        """How many signatures the letter has."""
        result = await self.session.execute(
            select(func.count(Signature.id)).where(Signature.letter_id == letter_id)
        )
        return int(result.scalar_one())

    async def signatories(self, letter_id: int) -> list[Signatory]:
        """The published list: organisations (and consenting people), sorted by country then name."""
        result = await self.session.execute(
            select(Signature, Organisation, Person)
            .outerjoin(Organisation, Organisation.id == Signature.organisation_id)
            .outerjoin(Person, Person.id == Signature.person_id)
            .where(Signature.letter_id == letter_id)
        )
        rows = [
            Signatory(
                organisation.name if organisation else "",
                (organisation.country if organisation else "") or "",
                (person.display_name or "") if person is not None and signature.publish_name else "",
                signature.signed_at,
            )
            for signature, organisation, person in result.all()
        ]
        return sorted(rows, key=lambda s: (s.country.casefold(), (s.organisation or s.signer).casefold()))

    async def signer_persons(self, letter_id: int) -> Sequence[int]:
        """Who signed (each person once), for the thank-you and the change notices."""
        result = await self.session.execute(
            select(Signature.person_id)
            .where(Signature.letter_id == letter_id, Signature.person_id.is_not(None))
            .distinct()
        )
        return sorted(int(pid) for pid in result.scalars().all() if pid is not None)

    async def unsigned_members(
        self, letter: Letter, spec: TargetSpec, default_language: str
    ) -> list[tuple[Target, str]]:
        """Private chats of confirmed members within ``spec`` who have not signed, in their language.

        A member counts as signed when their organisation signed (organisations and both modes) or when
        they signed themselves (individuals and both modes). The target narrows by the organisation's
        region or working group, or the member's language. Returns (target, organisation name), one per
        person, on the first platform they linked.
        """
        signed_orgs = select(Signature.organisation_id).where(
            Signature.letter_id == letter.id, Signature.organisation_id.is_not(None)
        )
        signed_people = select(Signature.person_id).where(
            Signature.letter_id == letter.id,
            Signature.signer_key.like("person:%"),
            Signature.person_id.is_not(None),
        )
        query = (
            select(Person, Identity, Organisation)
            .join(Identity, Identity.person_id == Person.id)
            .join(Organisation, Organisation.id == Person.organisation_id)
            .where(
                Organisation.verified.is_(True),
                Person.membership_confirmed.is_(True),
                Person.role.in_((Role.MEMBER, Role.SECRETARIAT)),
                Person.erased_at.is_(None),
                Identity.private_chat_id.is_not(None),
            )
            .order_by(Person.id, Identity.id)
        )
        if letter.signing_mode == "individuals":
            query = query.where(Person.id.not_in(signed_people))
        else:
            query = query.where(Organisation.id.not_in(signed_orgs))
        found: list[tuple[Target, str]] = []
        seen: set[int] = set()
        for person, identity, organisation in (await self.session.execute(query)).all():
            if person.id in seen:
                continue
            seen.add(person.id)
            target = private_chat_of(person, identity, default_language)
            if spec.kind == "region" and organisation.region != spec.value:
                continue
            if spec.kind == "group" and spec.value not in (organisation.working_groups or []):
                continue
            if spec.kind == "language" and target.language != spec.value:
                continue
            found.append((target, organisation.name))
        return found

    async def due(self, now: datetime) -> Sequence[Letter]:
        """Published letters whose deadline has passed."""
        result = await self.session.execute(
            select(Letter).where(
                Letter.status == "published", Letter.deadline.is_not(None), Letter.deadline <= now
            )
        )
        return result.scalars().all()
