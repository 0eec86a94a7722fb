"""``attendance audit verify``: recompute every chain, then match records and entries both
ways (a record without its entry was inserted behind the log, an entry whose record is
gone saw it deleted, a digest that differs saw it edited), then check each anchor's heads
are still in the chains (a rewound head)."""

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from attendance.evidence.anchors import Anchor, stored_anchors
from attendance.evidence.chain import GENESIS, ORGANISATION, chain_label, entry_hash
from attendance.evidence.records import (
    CORRECTION,
    EMARGEMENT,
    LABELS,
    correction_digest,
    record_digest,
    vouched,
)
from attendance.models import Correction, Emargement, EvidenceEntry, EvidenceHead, Organisation


@dataclass
class ChainReport:
    organisation: Organisation
    entries: int = 0
    chains: int = 0
    broken_chain: str | None = None  # the chain of the first broken entry
    broken_at: int | None = None  # its seq in that chain
    problem: str | None = None
    altered_records: list[int] = field(default_factory=list)  # emargement ids
    record_problems: list[str] = field(default_factory=list)  # French, one per record
    anchor_problems: list[str] = field(default_factory=list)  # French, one per anchored head
    anchors: int = 0

    @property
    def ok(self) -> bool:
        return (
            self.broken_at is None
            and self.problem is None
            and not self.record_problems
            and not self.anchor_problems
        )

    @property
    def where(self) -> str:
        """« entrée n° 7 de la chaîne séance 12 », for messages."""
        return _where(self.broken_chain or "", self.broken_at)


def _where(chain: str, seq: int | None) -> str:
    return f"entrée n° {seq} de la chaîne {chain_label(chain)}"


def _break(report: ChainReport, chain: str, seq: int, problem: str) -> ChainReport:
    report.broken_chain, report.broken_at, report.problem = chain, seq, problem
    return report


@dataclass
class _Logged:
    """A record's latest state in the log, and where it was stated."""

    order: tuple
    digest: str | None  # None: the log says the record was removed
    chain: str
    seq: int


def verify_chain(
    session: Session, org: Organisation, anchors: list[Anchor] | None = None
) -> ChainReport:
    """Recompute every chain of the organisation (its own, then each slot's); stop at the
    first broken entry. Each slot chain must have been opened in the organisation chain
    and end where its head says, so removing a whole chain or its tail is caught. Then
    records against entries, and ``anchors`` (plus those stored with validated months and
    invoices) against the chains."""
    report = ChainReport(org)
    anchors = [*stored_anchors(session, org), *(anchors or [])]
    report.anchors = len(anchors)
    wanted: dict[tuple[str, int], list[tuple[Anchor, str]]] = {}
    for anchor in anchors:
        if not anchor.digest_ok:
            report.anchor_problems.append(f"{anchor.source} est illisible ou altérée")
        for chain, (seq, last) in anchor.heads.items():
            wanted.setdefault((chain, seq), []).append((anchor, last))
    heads = {
        head.chain: head
        for head in session.scalars(
            select(EvidenceHead).where(EvidenceHead.organisation_id == org.id)
        )
    }
    latest: dict[tuple[str, int], _Logged] = {}
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
        for key, digest in vouched(entry.kind, entry.payload):
            order = (entry.at, entry.id)
            previous = latest.get(key)
            if previous is None or order > previous.order:
                latest[key] = _Logged(order, digest, chain, entry.seq)
        for anchor, last in wanted.pop((chain, entry.seq), ()):
            if last != entry.hash:
                report.anchor_problems.append(
                    f"{_where(chain, entry.seq)} n'est plus celle qu'atteste {anchor.source}"
                )
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
    for (name, seq), attesting in sorted(wanted.items()):
        for anchor, _ in attesting:
            report.anchor_problems.append(
                f"{_where(name, seq)} a disparu alors que {anchor.source} l'atteste "
                "(tête de chaîne rembobinée)"
            )
    _match_records(session, org, report, latest)
    return report


def _match_records(session: Session, org: Organisation, report: ChainReport, latest: dict) -> None:
    """Each record against its latest logged state, then each logged record not found."""
    records = [
        (EMARGEMENT, Emargement, record_digest),
        (CORRECTION, Correction, correction_digest),
    ]
    for kind, model, digest_of in records:
        for record in session.scalars(
            select(model).where(model.organisation_id == org.id).order_by(model.id)
        ):
            logged = latest.pop((kind, record.id), None)
            name = f"{LABELS[kind]} n° {record.id}"
            if logged is None or logged.digest is None:
                report.record_problems.append(f"{name} ajouté hors journal (aucune entrée)")
            elif logged.digest != digest_of(record):
                report.record_problems.append(
                    f"{name} modifié hors journal (état journalisé : "
                    f"{_where(logged.chain, logged.seq)})"
                )
                if kind == EMARGEMENT:
                    report.altered_records.append(record.id)
    for (kind, record_id), logged in sorted(latest.items()):
        if logged.digest is not None:
            report.record_problems.append(
                f"{LABELS[kind]} n° {record_id} supprimé ({_where(logged.chain, logged.seq)})"
            )
