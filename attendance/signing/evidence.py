"""The evidence log: every sign-in, validation and correction, hash-chained per organisation.

Each entry's hash covers its sequence number, time, kind, payload and the previous entry's
hash, so changing or removing any entry breaks the chain from there on; ``verify_chain``
recomputes it and names the first broken entry. Sign-in payloads also carry a digest of the
emargement as recorded, so an emargement edited behind the log's back is caught too.
"""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from attendance.models import Emargement, EvidenceEntry, EvidenceHead, Organisation
from attendance.models.types import utcnow

GENESIS = "0" * 64


def canonical(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(
    organisation_id: int, seq: int, at: datetime, kind: str, payload: dict, prev_hash: str
) -> str:
    body = {
        "org": organisation_id,
        "seq": seq,
        "at": at.isoformat(timespec="microseconds"),
        "kind": kind,
        "payload": payload,
        "prev": prev_hash,
    }
    return hashlib.sha256(canonical(body)).hexdigest()


def sha256_hex(data: bytes | None) -> str | None:
    return hashlib.sha256(data).hexdigest() if data is not None else None


def emargement_state(emargement: Emargement) -> dict:
    """The fields an auditor relies on, as plain JSON values."""
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


def lock_chain(session: Session, organisation_id: int) -> None:
    """Take the organisation's chain lock. Call it as the *first* statement of a write
    transaction: on SQLite it takes the database write lock before any read, so a
    concurrent writer makes us wait (busy timeout) instead of failing on a stale snapshot."""
    bump = (
        update(EvidenceHead)
        .where(EvidenceHead.organisation_id == organisation_id)
        .values(seq=EvidenceHead.seq)
    )
    if session.execute(bump).rowcount:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(
        insert(EvidenceHead)
        .values(organisation_id=organisation_id, seq=0, last_hash=GENESIS)
        .on_conflict_do_nothing()
    )
    session.execute(bump)


def append(
    session: Session, organisation_id: int, kind: str, payload: dict, at: datetime | None = None
) -> EvidenceEntry:
    """Append one entry; the caller has called ``lock_chain`` in this transaction."""
    head = session.execute(
        select(EvidenceHead.seq, EvidenceHead.last_hash).where(
            EvidenceHead.organisation_id == organisation_id
        )
    ).one()
    at = at or utcnow()
    seq = head.seq + 1
    digest = entry_hash(organisation_id, seq, at, kind, payload, head.last_hash)
    entry = EvidenceEntry(
        organisation_id=organisation_id,
        seq=seq,
        at=at,
        kind=kind,
        payload=payload,
        prev_hash=head.last_hash,
        hash=digest,
    )
    session.add(entry)
    session.execute(
        update(EvidenceHead)
        .where(EvidenceHead.organisation_id == organisation_id)
        .values(seq=seq, last_hash=digest)
    )
    return entry


@dataclass
class ChainReport:
    organisation: Organisation
    entries: int = 0
    broken_at: int | None = None  # seq of the first broken entry
    problem: str | None = None
    altered_records: list[int] = field(default_factory=list)
    unlogged_records: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.broken_at is None and self.problem is None and not self.altered_records


def verify_chain(session: Session, org: Organisation) -> ChainReport:
    """Recompute the organisation's chain; stop at the first broken entry."""
    report = ChainReport(org)
    expected_prev, expected_seq = GENESIS, 1
    last_digest: dict[int, str] = {}
    rows = session.scalars(
        select(EvidenceEntry)
        .where(EvidenceEntry.organisation_id == org.id)
        .order_by(EvidenceEntry.seq)
    )
    for entry in rows:
        report.entries += 1
        if entry.seq != expected_seq:
            report.broken_at, report.problem = expected_seq, "entrée manquante"
            return report
        if entry.prev_hash != expected_prev:
            report.broken_at, report.problem = entry.seq, "chaînage rompu (empreinte précédente)"
            return report
        recomputed = entry_hash(
            entry.organisation_id, entry.seq, entry.at, entry.kind, entry.payload, entry.prev_hash
        )
        if recomputed != entry.hash:
            report.broken_at, report.problem = entry.seq, "contenu modifié (empreinte invalide)"
            return report
        if "emargement_id" in entry.payload and "record_sha256" in entry.payload:
            last_digest[entry.payload["emargement_id"]] = entry.payload["record_sha256"]
        if entry.kind == "retention":  # attendance.privacy.retention: anonymised records
            last_digest.update({int(k): v for k, v in entry.payload.get("records", {}).items()})
        expected_prev, expected_seq = entry.hash, entry.seq + 1
    head = session.get(EvidenceHead, org.id)
    if head is not None and (head.seq != expected_seq - 1 or head.last_hash != expected_prev):
        report.broken_at = expected_seq
        report.problem = f"fin du journal tronquée (dernière entrée attendue : n° {head.seq})"
        return report
    for emargement in session.scalars(
        select(Emargement).where(Emargement.organisation_id == org.id).order_by(Emargement.id)
    ):
        logged = last_digest.get(emargement.id)
        if logged is None:
            report.unlogged_records.append(emargement.id)
        elif logged != record_digest(emargement):
            report.altered_records.append(emargement.id)
    return report
