"""Shared building blocks: database, errors, pagination, Markdown rendering."""
