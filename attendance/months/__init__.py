"""The monthly cycle: draft, synchronised (re-sync allowed), validated (locked) — R11."""
