"""Password hashing with argon2id, and generated passwords."""

from __future__ import annotations

import secrets
import string

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# Modest cost: sign-in is rare and must stay quick on two shared cores; still memory-hard.
_hasher = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)
MIN_LENGTH = 10
_ALPHABET = string.ascii_letters + string.digits


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def generate_password(length: int = 16) -> str:
    """A random password of letters and digits (for new users, resets and the demo)."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


# A hash to verify against when the user does not exist, so timing doesn't reveal usernames.
DUMMY_HASH = _hasher.hash("not-a-real-password")
