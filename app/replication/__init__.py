"""The machine's side of the back office (DESIGN.md, "Layout"): its device identity, the replication outbox's
sender and its cursor. ``wire`` is the contract both sides share."""
