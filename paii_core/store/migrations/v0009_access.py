"""Migration 9: user accounts (roles, argon2 password hashes, lock-out after failures)."""

VERSION = 9
NAME = "user accounts"
STATEMENTS: tuple[str, ...] = (
    """CREATE TABLE users (
        user_name TEXT PRIMARY KEY,
        role TEXT NOT NULL CHECK (role IN ('underwriter', 'esg_analyst', 'admin')),
        password_hash TEXT NOT NULL,
        disabled BOOLEAN NOT NULL DEFAULT false,
        must_change_password BOOLEAN NOT NULL DEFAULT false,
        failed_attempts INTEGER NOT NULL DEFAULT 0,
        locked_until TIMESTAMP,
        created_at TIMESTAMP NOT NULL,
        created_by TEXT NOT NULL,
        last_sign_in TIMESTAMP)""",
)
