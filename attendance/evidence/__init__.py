"""The evidence log: every record that counts hours (sign-ins, marks, validations,
corrections) is born with its entry, hash-chained per organisation and per slot
(``chain``); ``records`` says what an entry vouches for; ``anchors`` keep chain heads
outside the log's tables; ``verify`` checks all three.

Callers import from here: ``from attendance import evidence``; ``evidence.append(…)``.
"""

from attendance.evidence.anchors import (
    Anchor,
    anchor_line,
    heads_digest,
    month_chains,
    read_anchor_files,
    recent_chains,
    stored_anchors,
    take_anchor,
)
from attendance.evidence.chain import (
    GENESIS,
    ORGANISATION,
    append,
    canonical,
    chain_label,
    entry_hash,
    head_cte,
    held,
    lock_chain,
    slot_chain,
)
from attendance.evidence.records import (
    correction_digest,
    deleted,
    emargement_state,
    log_correction,
    log_emargements,
    record_digest,
    sha256_hex,
)
from attendance.evidence.verify import ChainReport, verify_chain

__all__ = [
    "GENESIS",
    "ORGANISATION",
    "Anchor",
    "ChainReport",
    "anchor_line",
    "append",
    "canonical",
    "chain_label",
    "correction_digest",
    "deleted",
    "emargement_state",
    "entry_hash",
    "head_cte",
    "heads_digest",
    "held",
    "lock_chain",
    "log_correction",
    "log_emargements",
    "month_chains",
    "read_anchor_files",
    "recent_chains",
    "record_digest",
    "sha256_hex",
    "slot_chain",
    "stored_anchors",
    "take_anchor",
    "verify_chain",
]
