"""Threads and posts: numbering, revisions, idempotent posting, pre-moderation."""
