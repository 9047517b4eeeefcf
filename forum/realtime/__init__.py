"""Live delivery: the event log with per-topic seq, the outbox, the hub and /ws."""
