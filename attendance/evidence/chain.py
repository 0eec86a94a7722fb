"""The chains themselves: each entry's hash covers its sequence number, time, kind, payload
and the previous entry's hash, so changing or removing any entry breaks the chain from
there on. A chain is locked through its head row (one per organisation and chain)."""

import hashlib
import json
from datetime import datetime

from sqlalchemy import bindparam, event, insert, update
from sqlalchemy.orm import Session

from attendance.models import EvidenceEntry, EvidenceHead
from attendance.models.types import utcnow
from attendance.sql import Prepared, upsert

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
# Built once and run on the driver's cursor (``sql.Prepared``): a sign-in runs these on
# every request, and no head is ever loaded as an object on these paths.
_TAKE = (
    update(_HEADS).where(_HEAD).values(seq=_HEADS.c.seq).returning(_HEADS.c.seq, _HEADS.c.last_hash)
)
_ADVANCE = (
    update(_HEADS).where(_HEAD).values(seq=bindparam("new_seq"), last_hash=bindparam("new_hash"))
)
_ENTRIES = EvidenceEntry.__table__
_ENTRY_COLUMNS = ("organisation_id", "chain", "seq", "at", "kind", "payload", "prev_hash", "hash")
_INSERT = Prepared(insert(_ENTRIES), _ENTRY_COLUMNS)
# PostgreSQL writes the entry and moves the head in one statement (one round trip while the
# chain is locked); SQLite, which has no INSERT in a WITH, runs the two above.
_APPEND_PG = Prepared(
    _ADVANCE.add_cte(
        insert(_ENTRIES)
        .values(
            {name: bindparam(f"e_{name}", type_=_ENTRIES.c[name].type) for name in _ENTRY_COLUMNS}
        )
        .cte("entry")
    )
)
_TAKE_NOW = Prepared(_TAKE)
_ADVANCE_NOW = Prepared(_ADVANCE)


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
    return _TAKE_NOW.first(session, {"head_org": organisation_id, "head_chain": chain})


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
    _heads(session)[organisation_id, chain] = (head[0], head[1])


def append(
    session: Session,
    organisation_id: int,
    kind: str,
    payload: dict,
    at: datetime | None = None,
    chain: str = ORGANISATION,
) -> None:
    """Append one entry; the caller has called ``lock_chain`` for this chain in this
    transaction. The entry is written at once (no ORM flush, no object: every sign-in
    appends one, and nothing reads it back)."""
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
    head = {"head_org": organisation_id, "head_chain": chain, "new_seq": seq, "new_hash": digest}
    if session.get_bind().dialect.name == "postgresql":
        entry = {f"e_{name}": value for name, value in values.items()}
        _APPEND_PG.rows(session, {**entry, **head})
    else:
        _INSERT.rows(session, values)
        _ADVANCE_NOW.rows(session, head)
    heads[organisation_id, chain] = (seq, digest)
