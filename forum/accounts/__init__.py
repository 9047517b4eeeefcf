"""Accounts: users, roles, tokens and sessions, password hashing, login rate limits."""
