"""Searching: `GET /api/search`, its answer, the snippets, and the reads that apply the
visibility rule of every domain in SQL (so nothing hidden is returned, counted or quoted)."""
