"""Moderation: moderators' actions on posts and table messages, silences and suspensions,
and reading the queue and the audit log (both are written below, by the domains)."""
