"""Threads and posts: numbering, revisions, idempotent posting, pre-moderation, flags, and
the moderation queue (what waits for a moderator), which lives with the posts it lists."""
