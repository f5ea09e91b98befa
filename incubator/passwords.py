"""Password policy and hashing.

Policy (NIST SP 800-63B): at least 12 characters, no composition rules, and refused when it
is a commonly used password. Hashing: argon2id with parameters stated in the configuration;
hashes made with weaker parameters are upgraded at the next successful login.
"""

from __future__ import annotations

import gzip
import re
from functools import cache
from importlib import resources

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

# A few French favourites the (mostly English) list misses.
FRENCH_COMMON = {
    "motdepasse", "azerty", "azertyuiop", "soleil", "bonjour", "doudou", "chouchou", "loulou",
    "jetaime", "coucou", "marseille", "princesse", "nicolas", "camille", "chocolat",
    "bretagne", "redon", "cades", "incubateur", "incubator", "motdepasse123", "azerty123",
}


@cache
def _common_passwords() -> frozenset[str]:
    data = resources.files("incubator").joinpath("data/common-passwords.txt.gz").read_bytes()
    words = gzip.decompress(data).decode("utf-8").split()
    return frozenset(w.strip().lower() for w in words) | FRENCH_COMMON


# Keyboard rows and plain sequences: "azertyuiopqsdf" or "0123456789012" are guessed first.
SEQUENCES = (
    "azertyuiopqsdfghjklmwxcvbn",
    "qwertyuiopasdfghjklzxcvbnm",
    "qwertzuiopasdfghjklyxcvbnm",
    "abcdefghijklmnopqrstuvwxyz",
    "12345678901234567890",
)


def is_common(password: str) -> bool:
    """True when the password, or its core without leading or trailing digits and symbols,
    is common or a keyboard or alphabet sequence, or when it is a run of very few distinct
    characters ("aaaaaaaaaaaa", "121212121212")."""
    lowered = password.strip().lower()
    common = _common_passwords()
    if lowered in common:
        return True
    core = re.sub(r"[\W\d_]+$", "", lowered)
    core = re.sub(r"^[\W\d_]+", "", core)
    if core and core in common:
        return True
    for candidate in {lowered, core} - {""}:
        if len(candidate) >= 6 and any(
            candidate in seq or candidate in seq[::-1] for seq in SEQUENCES
        ):
            return True
    return len(set(lowered)) <= 3


def hasher() -> PasswordHasher:
    config = current_app.config
    return PasswordHasher(
        time_cost=config["ARGON2_TIME_COST"],
        memory_cost=config["ARGON2_MEMORY_COST"],
        parallelism=config["ARGON2_PARALLELISM"],
        type=Type.ID,
    )


def hash_password(password: str) -> str:
    return hasher().hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    if not stored_hash:
        # Spend the same time as a real check so unknown accounts cannot be told apart.
        hasher().hash(password)
        return False
    try:
        return hasher().verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return hasher().check_needs_rehash(stored_hash)
