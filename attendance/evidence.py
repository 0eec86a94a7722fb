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

from sqlalchemy import bindparam, event, insert, select, update
from sqlalchemy.orm import Session

from attendance.models import Emargement, EvidenceEntry, EvidenceHead, Organisation
from attendance.models.types import utcnow
from attendance.sql import upsert

GENESIS = "0" * 64
ORGANISATION = "organisation"  # the organisation's own chain (phones, months, retention)


def canonical(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(
    organisation_id: int,
    seq: int,
    at: datetime,
    kind: str,
    payload: dict,
    prev_hash: str,
    chain: str = ORGANISATION,
) -> str:
    """The organisation chain keeps the original formula, so entries written before slot
    chains existed still verify; a slot chain's name is part of each of its hashes, so an
    entry cannot be moved from one chain to another."""
    body = {
        "org": organisation_id,
        "seq": seq,
        "at": at.isoformat(timespec="microseconds"),
        "kind": kind,
        "payload": payload,
        "prev": prev_hash,
    }
    if chain != ORGANISATION:
        body["chain"] = chain
    return hashlib.sha256(canonical(body)).hexdigest()


def slot_chain(slot_id: int) -> str:
    return f"slot:{slot_id}"


def chain_label(chain: str) -> str:
    """French, for reports: « organisme » or « séance 12 »."""
    if chain.startswith("slot:"):
        return f"séance {chain[5:]}"
    return "organisme"


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


def _heads(session: Session) -> dict:
    """Chain heads read under their lock in the current transaction, so ``append`` does not
    read them again; dropped when the transaction ends (see ``_forget_heads``)."""
    return session.info.setdefault("evidence_heads", {})


@event.listens_for(Session, "after_transaction_end")
def _forget_heads(session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop("evidence_heads", None)


_HEADS = EvidenceHead.__table__
_HEAD = (_HEADS.c.organisation_id == bindparam("head_org")) & (
    _HEADS.c.chain == bindparam("head_chain")
)
# Built once and run on the session's connection: a sign-in runs these on every request,
# and no head is ever loaded as an object on these paths.
_TAKE = (
    update(_HEADS).where(_HEAD).values(seq=_HEADS.c.seq).returning(_HEADS.c.seq, _HEADS.c.last_hash)
)
_ADVANCE = (
    update(_HEADS).where(_HEAD).values(seq=bindparam("new_seq"), last_hash=bindparam("new_hash"))
)
_ENTRIES = EvidenceEntry.__table__
_INSERT = insert(_ENTRIES)
# PostgreSQL writes the entry and moves the head in one statement (one round trip while the
# chain is locked); SQLite, which has no INSERT in a WITH, runs the two above.
_ENTRY_COLUMNS = ("organisation_id", "chain", "seq", "at", "kind", "payload", "prev_hash", "hash")
_APPEND_PG = _ADVANCE.add_cte(
    insert(_ENTRIES)
    .values({name: bindparam(f"e_{name}", type_=_ENTRIES.c[name].type) for name in _ENTRY_COLUMNS})
    .cte("entry")
)


def head_cte():
    """``_TAKE`` as a CTE, for a statement that locks a chain and goes on under the lock
    in the same round trip (``signing.common``). Parameters ``head_org`` and ``head_chain``;
    the caller passes what it read to ``held``."""
    return _TAKE.cte("head")


def held(session: Session, organisation_id: int, chain: str, seq: int, last_hash: str) -> None:
    """A chain head locked and read by a caller's own statement (``head_cte``)."""
    _heads(session)[organisation_id, chain] = (seq, last_hash)


def _take(session: Session, organisation_id: int, chain: str):
    """Lock an existing head and read it, in one statement (UPDATE … RETURNING)."""
    return (
        session.connection()
        .execute(_TAKE, {"head_org": organisation_id, "head_chain": chain})
        .one_or_none()
    )


def lock_chain(session: Session, organisation_id: int, chain: str = ORGANISATION) -> None:
    """Take a chain's lock (the organisation's own by default). Call it as the *first*
    statement of a write transaction: on SQLite it takes the database write lock before any
    read, so a concurrent writer makes us wait (busy timeout) instead of failing on a stale
    snapshot. A slot chain is opened on first use, and its opening is logged in the
    organisation chain, so a slot chain deleted wholesale is still missed by the verifier."""
    head = _take(session, organisation_id, chain)
    if head is None:
        values = {
            "organisation_id": organisation_id,
            "chain": chain,
            "seq": 0,
            "last_hash": GENESIS,
        }
        created = session.execute(upsert(session, EvidenceHead, values)).rowcount
        head = _take(session, organisation_id, chain)
        if created and chain != ORGANISATION:
            lock_chain(session, organisation_id)
            append(session, organisation_id, "chain_opened", {"chain": chain})
    _heads(session)[organisation_id, chain] = (head.seq, head.last_hash)


def append(
    session: Session,
    organisation_id: int,
    kind: str,
    payload: dict,
    at: datetime | None = None,
    chain: str = ORGANISATION,
) -> EvidenceEntry:
    """Append one entry; the caller has called ``lock_chain`` for this chain in this
    transaction. The entry is written at once (no ORM flush); the returned object is a
    detached copy of what was written."""
    heads = _heads(session)
    try:
        seq, last_hash = heads[organisation_id, chain]
    except KeyError:
        raise RuntimeError(f"evidence chain {chain} appended without lock_chain") from None
    at = at or utcnow()
    seq += 1
    digest = entry_hash(organisation_id, seq, at, kind, payload, last_hash, chain)
    values = {
        "organisation_id": organisation_id,
        "chain": chain,
        "seq": seq,
        "at": at,
        "kind": kind,
        "payload": payload,
        "prev_hash": last_hash,
        "hash": digest,
    }
    connection = session.connection()
    head = {"head_org": organisation_id, "head_chain": chain, "new_seq": seq, "new_hash": digest}
    if connection.dialect.name == "postgresql":
        entry = {f"e_{name}": value for name, value in values.items()}
        connection.execute(_APPEND_PG, {**entry, **head})
    else:
        connection.execute(_INSERT, values)
        connection.execute(_ADVANCE, head)
    heads[organisation_id, chain] = (seq, digest)
    return EvidenceEntry(**values)


@dataclass
class ChainReport:
    organisation: Organisation
    entries: int = 0
    chains: int = 0
    broken_chain: str | None = None  # the chain of the first broken entry
    broken_at: int | None = None  # its seq in that chain
    problem: str | None = None
    altered_records: list[int] = field(default_factory=list)
    unlogged_records: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.broken_at is None and self.problem is None and not self.altered_records

    @property
    def where(self) -> str:
        """« entrée n° 7 de la chaîne séance 12 », for messages."""
        return f"entrée n° {self.broken_at} de la chaîne {chain_label(self.broken_chain or '')}"


def _break(report: ChainReport, chain: str, seq: int, problem: str) -> ChainReport:
    report.broken_chain, report.broken_at, report.problem = chain, seq, problem
    return report


def _logged_digests(entry: EvidenceEntry):
    """The record digests an entry vouches for: one sign-in's, or (retention) every record it
    anonymised, so verify compares each record with its latest logged state."""
    if "emargement_id" in entry.payload and "record_sha256" in entry.payload:
        yield entry.payload["emargement_id"], entry.payload["record_sha256"]
    if entry.kind == "retention":  # attendance.privacy.retention
        for emargement_id, digest in entry.payload.get("records", {}).items():
            yield int(emargement_id), digest


def verify_chain(session: Session, org: Organisation) -> ChainReport:
    """Recompute every chain of the organisation (its own, then each slot's); stop at the
    first broken entry. Each slot chain must have been opened in the organisation chain
    and end where its head says, so removing a whole chain or its tail is caught."""
    report = ChainReport(org)
    heads = {
        head.chain: head
        for head in session.scalars(
            select(EvidenceHead).where(EvidenceHead.organisation_id == org.id)
        )
    }
    latest: dict[int, tuple] = {}  # emargement id -> (at, id, record digest)
    opened: set[str] = set()
    seen: set[str] = set()
    chain, expected_prev, expected_seq = None, GENESIS, 1

    def close(name: str) -> bool:
        head = heads.pop(name, None)
        if head is not None and (head.seq != expected_seq - 1 or head.last_hash != expected_prev):
            _break(
                report,
                name,
                expected_seq,
                f"fin du journal tronquée (dernière entrée attendue : n° {head.seq})",
            )
            return False
        return True

    rows = session.scalars(
        select(EvidenceEntry)
        .where(EvidenceEntry.organisation_id == org.id)
        .order_by(EvidenceEntry.chain != ORGANISATION, EvidenceEntry.chain, EvidenceEntry.seq)
    )
    for entry in rows:
        if entry.chain != chain:
            if chain is not None and not close(chain):
                return report
            chain, expected_prev, expected_seq = entry.chain, GENESIS, 1
            report.chains += 1
            seen.add(chain)
            if chain != ORGANISATION and chain not in opened:
                return _break(report, chain, entry.seq, "chaîne absente du journal de l'organisme")
        report.entries += 1
        if entry.seq != expected_seq:
            return _break(report, chain, expected_seq, "entrée manquante")
        if entry.prev_hash != expected_prev:
            return _break(report, chain, entry.seq, "chaînage rompu (empreinte précédente)")
        recomputed = entry_hash(
            entry.organisation_id,
            entry.seq,
            entry.at,
            entry.kind,
            entry.payload,
            entry.prev_hash,
            entry.chain,
        )
        if recomputed != entry.hash:
            return _break(report, chain, entry.seq, "contenu modifié (empreinte invalide)")
        if entry.kind == "chain_opened" and chain == ORGANISATION:
            opened.add(entry.payload.get("chain"))
        for emargement_id, digest in _logged_digests(entry):
            key = (entry.at, entry.id, digest)
            previous = latest.get(emargement_id)
            if previous is None or key[:2] > previous[:2]:
                latest[emargement_id] = key
        expected_prev, expected_seq = entry.hash, entry.seq + 1
    if chain is not None and not close(chain):
        return report
    for name, head in sorted(heads.items()):  # a head left without any entry
        if head.seq:
            problem = f"fin du journal tronquée (dernière entrée attendue : n° {head.seq})"
            return _break(report, name, 1, problem)
    missing = sorted(opened - seen)
    if missing:
        return _break(report, missing[0], 1, "chaîne entière supprimée")
    for emargement in session.scalars(
        select(Emargement).where(Emargement.organisation_id == org.id).order_by(Emargement.id)
    ):
        logged = latest.get(emargement.id)
        if logged is None:
            report.unlogged_records.append(emargement.id)
        elif logged[2] != record_digest(emargement):
            report.altered_records.append(emargement.id)
    return report
