"""Password hashing with Argon2id (argon2-cffi), never home-made."""

from __future__ import annotations

import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from paii_core.errors import ValidationError

__all__ = [
    "MIN_LENGTH",
    "check_strength",
    "dummy_hash",
    "hash_password",
    "one_time_password",
    "verify",
]

MIN_LENGTH = 10
"""NIST SP 800-63B asks for at least 8 characters; 10 leaves a margin for shared machines."""

# argon2-cffi's defaults follow RFC 9106's second recommended option (Argon2id, 64 MiB).
_HASHER = PasswordHasher()


def check_strength(password: str) -> None:
    """Refuse a password too short to stand up to guessing.

    Raises:
        ValidationError: shorter than :data:`MIN_LENGTH` or only whitespace.
    """
    if len(password.strip()) < MIN_LENGTH:
        raise ValidationError(
            f"password should have at least {MIN_LENGTH} characters; "
            f"it has {len(password.strip())}. Fix: choose a longer one (a passphrase works)"
        )


def hash_password(password: str) -> str:
    """An Argon2id hash of ``password`` (salted; the encoded string holds the parameters)."""
    check_strength(password)
    return _HASHER.hash(password)


def verify(stored_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``stored_hash``; False for a malformed hash too."""
    try:
        return _HASHER.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@cache
def dummy_hash() -> str:
    """A hash of a random password no one knows, made once per process with the same
    parameters as real ones: sign-in checks an unknown user's password against it, so
    an unknown name costs the same time as a wrong password."""
    return _HASHER.hash(secrets.token_urlsafe(24))


def one_time_password() -> str:
    """A random 16-character password for a first admin, printed once."""
    return secrets.token_urlsafe(12)
