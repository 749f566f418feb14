"""Migration 61: dashboard sign-ins that survive a page reload.

A signed-in browser holds a random token in a cookie; the store keeps only its SHA-256,
the account, when the sign-in began and was last seen, and how it ended. A stolen copy
of the database therefore holds no token a browser could present.
"""

from __future__ import annotations

VERSION = 61
NAME = "web sessions"

STATEMENTS = (
    """CREATE TABLE web_sessions (
        token_sha256 TEXT PRIMARY KEY,
        user_name TEXT NOT NULL,
        client TEXT,
        signed_in_at TIMESTAMP NOT NULL,
        last_seen TIMESTAMP NOT NULL,
        ended_at TIMESTAMP,
        end_reason TEXT)""",
)
