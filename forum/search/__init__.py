"""Search: the index below every domain (terms, its table, writing it) and, in `forum.searching`,
the reads that find hits the caller may see.

The index sits low (beside the event and audit logs) for the same reason they do: every domain
that writes text (threads, cafés, moderation) updates it in its own transaction. What reads it
needs the visibility rules of spaces, threads and cafés, so it lives higher, in `api/`.
"""
