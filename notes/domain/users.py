"""Users, their bearer tokens, and who owns which note (contract v1.1, AUTH- and OWN-).

A request in token mode carries the token of one user: its ``Principal``. In open
mode (v1) there is none, and every note is everyone's. The store is given the
principal with every call, and the statements it runs keep a user to their own notes
(``scope``), so that no query can return or change another user's note.

Tokens are 256 random bits. Only a SHA-256 digest of each is stored: a slow password
hash (bcrypt, argon2) makes guessing a *low-entropy* secret costly, but nobody can
enumerate 2**256 candidates however fast the hash, and a slow hash would cost every
request tens of milliseconds of CPU. A fast, unsalted digest can also be looked up by
an index. Looking a digest up is not constant-time, and need not be: its timing can
only tell about the digest, which gives nothing away about any token.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import secrets
import unicodedata
from datetime import datetime
from typing import Any, Final, Protocol

from notes.domain.errors import NotesError, ValidationFailed

TOKEN_PREFIX: Final = "notes_"
# secrets.token_urlsafe(32): 32 random bytes, 43 characters of base64url.
TOKEN_BYTES: Final = 32
TOKEN_PATTERN: Final = TOKEN_PREFIX + "[A-Za-z0-9_-]{43}"
_TOKEN = re.compile(TOKEN_PATTERN)
NAME_MAX_LENGTH: Final = 100  # a name is a created_by (VAL-4)


@dataclasses.dataclass(frozen=True, slots=True)
class Principal:
    """The user a request acts for; an admin reaches every note."""

    name: str
    admin: bool = False


# None is open mode (v1): no users, every note is everyone's.
Caller = Principal | None


@dataclasses.dataclass(frozen=True, slots=True)
class UserRecord:
    """A user as `notes users list` shows it: never a token, never a digest."""

    name: str
    admin: bool
    active: bool
    created_at: datetime
    token_issued_at: datetime


class UserDirectory(Protocol):
    """Where the web layer finds the user a token belongs to."""

    async def principal_for(self, token_digest: str) -> Principal | None:
        """The active user holding the token with this digest, or None."""


class UserError(NotesError):
    """A `notes users` command that cannot be done; the message says why."""


class UserExists(UserError):
    def __init__(self, name: str) -> None:
        super().__init__(f"there is already a user named {name!r}")


class NoSuchUser(UserError):
    def __init__(self, name: str) -> None:
        super().__init__(f"there is no user named {name!r}")


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)


def is_token(text: str) -> bool:
    """Whether `text` is spelled as a token this service issues (it may still be unknown)."""
    return _TOKEN.fullmatch(text) is not None


def token_digest(token: str) -> str:
    """What is stored of a token, and looked up: its SHA-256, in hex."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def check_name(name: str) -> str:
    """A user name is a `created_by` (1 to 100 code points) that reads the same in a
    listing as on a command line: no control characters, no spaces at either end."""
    problem = None
    if not 1 <= len(name) <= NAME_MAX_LENGTH:
        problem = f"must be 1 to {NAME_MAX_LENGTH} characters long"
    elif name != name.strip():
        problem = "must not begin or end with white space"
    elif any(unicodedata.category(char) in ("Cc", "Cs") for char in name):
        problem = "must not contain control characters or lone surrogates"
    if problem is not None:
        raise UserError(f"a user name {problem}: {name!r}")
    return name


def scope(caller: Caller) -> str | None:
    """The one owner whose notes `caller` may reach; None: every note (open mode, admin)."""
    if caller is None or caller.admin:
        return None
    return caller.name


def cursor_key_for(key: bytes, caller: Caller) -> bytes:
    """The key that signs `caller`'s listing cursors: another user's cursor fails its
    check, and is a 422 like any cursor this listing did not give out (OWN-9)."""
    if caller is None:
        return key
    # Keyed BLAKE2b, as the cursors' MAC (`listing._mac`): one C call a request.
    named = b"user\0" + caller.name.encode("utf-8")
    return hashlib.blake2b(named, key=key, digest_size=32).digest()


def created_fields(caller: Caller, fields: dict[str, Any]) -> dict[str, Any]:
    """A new note's fields: in token mode its `created_by` is the caller's name (OWN-1)."""
    if caller is None:
        return fields
    claimed = fields.get("created_by")
    if claimed is not None and claimed != caller.name:
        raise ValidationFailed.single(
            "$.created_by",
            f"must be your own user name, {caller.name!r}, or left out: "
            "the notes you create are yours",
        )
    return {**fields, "created_by": caller.name}


def owner_kept(caller: Caller, owner: str, changes: dict[str, Any]) -> dict[str, Any]:
    """A PUT's or PATCH's changes to a note `owner` holds: in token mode a `created_by`
    may only repeat the owner's name, so the owner never changes (OWN-2). Checked
    after the note was found, so that another user's note is a 404 first (OWN-4)."""
    if caller is None or "created_by" not in changes:
        return changes
    if changes["created_by"] != owner:
        raise ValidationFailed.single(
            "$.created_by",
            f"must be the note's owner, {owner!r}, or left out: a note's owner never changes",
        )
    return changes
