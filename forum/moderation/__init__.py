"""Moderation: the queue, flags, hide and unhide, silences and suspensions, the audit log."""
