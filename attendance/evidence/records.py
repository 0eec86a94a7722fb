"""The records that count hours, as the log vouches for them: emargements (sign-ins,
absences, trainer marks) and correctifs horaires (R12). Each is born with an entry holding
its digest, in the same transaction; an entry that changes or removes records holds their
new digests (or says they went), so ``verify`` can match records and entries both ways.

Payload keys an entry may vouch with (``vouched``):
- ``emargement_id`` + ``record_sha256``: one emargement (sign-in, mark, correction…);
- ``correction_id`` + ``record_sha256``: one correctif horaire;
- ``records`` / ``corrections``: {id: digest} of several (retention, adoption at upgrade);
- ``deleted_records`` / ``deleted_corrections``: {id: digest} of records removed on purpose.
"""

import hashlib
from collections.abc import Iterable, Iterator
from datetime import datetime

from sqlalchemy.orm import Session

from attendance.evidence.chain import ORGANISATION, append, canonical, lock_chain, slot_chain
from attendance.models import Correction, Emargement
from attendance.models.types import utcnow

EMARGEMENT = "emargement"
CORRECTION = "correction"
LABELS = {EMARGEMENT: "émargement", CORRECTION: "correctif"}
# Entries whose "records"/"corrections" maps state records' latest digests.
_MANY = ("retention", "records_adopted")


def sha256_hex(data: bytes | None) -> str | None:
    return hashlib.sha256(data).hexdigest() if data is not None else None


def emargement_state(emargement: Emargement) -> dict:
    """The fields an auditor relies on, as plain JSON values. ``emargement`` is a record, or
    anything with its columns (a sign-in answers with a plain row, ``SignedRow``)."""
    return {
        "id": emargement.id,
        "slot_id": emargement.slot_id,
        "trainee_id": emargement.trainee_id,
        "status": emargement.status,
        "signed_at": emargement.signed_at.isoformat() if emargement.signed_at else None,
        "method": emargement.method,
        "late_minutes": emargement.late_minutes,
        "early_leave_minutes": emargement.early_leave_minutes,
        "confirmed": emargement.confirmed,
        "signature_sha256": sha256_hex(emargement.signature_png),
        "token_jti": emargement.token_jti,
        "device_id": emargement.device_id,
        "absence_reason": emargement.absence_reason,
    }


def record_digest(emargement: Emargement) -> str:
    return hashlib.sha256(canonical(emargement_state(emargement))).hexdigest()


def correction_digest(correction: Correction) -> str:
    """R12: what a correctif replaces (whose hours, which day or month, how many minutes)
    and the paper sheet it rests on."""
    state = {
        "id": correction.id,
        "trainee_id": correction.trainee_id,
        "composante_id": correction.composante_id,
        "slot_id": correction.slot_id,
        "scope": correction.scope,
        "day": correction.day.isoformat(),
        "hour_class": correction.hour_class,
        "minutes": correction.minutes,
        "validated": bool(correction.validated),
        "reason": correction.reason,
        "attachment_sha256": sha256_hex(correction.attachment),
    }
    return hashlib.sha256(canonical(state)).hexdigest()


def log_emargements(
    session: Session,
    emargements: Iterable[Emargement],
    kind: str,
    at: datetime | None = None,
    **extra,
) -> None:
    """Log emargements written outside the sign-in paths (the demo's history, test data),
    each in its slot's chain, as ``record_signin`` does. Flushes first, for their ids."""
    session.flush()
    at = at or utcnow()
    for emargement in sorted(emargements, key=lambda e: (e.slot_id, e.id)):
        chain = slot_chain(emargement.slot_id)
        lock_chain(session, emargement.organisation_id, chain)
        payload = {
            "emargement_id": emargement.id,
            "slot_id": emargement.slot_id,
            "trainee_id": emargement.trainee_id,
            "method": emargement.method,
            "record_sha256": record_digest(emargement),
            **extra,
        }
        append(session, emargement.organisation_id, kind, payload, at=at, chain=chain)


def log_correction(session: Session, correction: Correction, by: int | None) -> None:
    """R12: a correctif horaire goes into the organisation's chain as it is created."""
    session.flush()
    lock_chain(session, correction.organisation_id)
    append(
        session,
        correction.organisation_id,
        "hour_correction",
        {
            "correction_id": correction.id,
            "trainee_id": correction.trainee_id,
            "composante_id": correction.composante_id,
            "day": correction.day.isoformat(),
            "minutes": correction.minutes,
            "by": by,
            "record_sha256": correction_digest(correction),
        },
        chain=ORGANISATION,
    )


def deleted(emargements: Iterable[Emargement] = (), corrections: Iterable[Correction] = ()) -> dict:
    """The payload part of an entry that removes records on purpose, so verify accepts
    their absence; the digests say what exactly went."""
    return {
        "deleted_records": {str(e.id): record_digest(e) for e in emargements},
        "deleted_corrections": {str(c.id): correction_digest(c) for c in corrections},
    }


def vouched(kind: str, payload: dict) -> Iterator[tuple[tuple[str, int], str | None]]:
    """The records an entry vouches for, as ((kind, id), digest); digest None: removed."""
    digest = payload.get("record_sha256")
    if digest is not None:
        if "emargement_id" in payload:
            yield (EMARGEMENT, payload["emargement_id"]), digest
        elif "correction_id" in payload:
            yield (CORRECTION, payload["correction_id"]), digest
    if kind in _MANY:
        for key, record in (("records", EMARGEMENT), ("corrections", CORRECTION)):
            for record_id, record_digest_ in (payload.get(key) or {}).items():
                yield (record, int(record_id)), record_digest_
    for key, record in (("deleted_records", EMARGEMENT), ("deleted_corrections", CORRECTION)):
        for record_id in payload.get(key) or {}:
            yield (record, int(record_id)), None
