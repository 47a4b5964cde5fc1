"""The database schema: notes, and their users (v1.1); shared by migrations and queries."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# SQLite only reserves ids forever (never reused after a delete) with AUTOINCREMENT,
# which needs the column to be exactly INTEGER PRIMARY KEY; it is 64-bit there anyway.
NoteId = BigInteger().with_variant(Integer(), "sqlite")
# "C" makes PostgreSQL compare titles by code point, as SQLite's BINARY collation does.
Title = String(200).with_variant(String(200, collation="C"), "postgresql")

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class NoteRow(Base):
    """A stored note. Timestamps are naive UTC, to the microsecond, on every backend."""

    __tablename__ = "notes"
    __table_args__ = (
        Index(None, "priority", "id"),
        Index(None, "created_at", "id"),
        Index(None, "updated_at", "id"),
        Index(None, "title", "id"),
        Index(None, "created_by", "id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(NoteId, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(Title)
    description: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime())
    created_by: Mapped[str] = mapped_column(String(100))
    priority: Mapped[int] = mapped_column(Integer())
    updated_at: Mapped[datetime] = mapped_column(DateTime())
    # Bumped on every change: the ETag, and the compare-and-set of If-Match.
    version: Mapped[int] = mapped_column(Integer())
    # Case-folded copies for `q`, so that matching is Python's str.casefold on every
    # backend rather than each database's own idea of case.
    title_folded: Mapped[str] = mapped_column(Text)
    description_folded: Mapped[str] = mapped_column(Text)
    # The note's JSON after its id (`records.representation`), joined into pages;
    # NULL where a version before 0007 wrote it last: the page is then built from columns.
    representation: Mapped[bytes | None] = mapped_column(LargeBinary())


notes_table = cast(Table, NoteRow.__table__)


class UserRow(Base):
    """A user of token mode (v1.1). Of the token only a SHA-256 digest is kept, and
    none while the user is revoked."""

    __tablename__ = "users"
    __table_args__ = (Index(None, "name", unique=True), Index(None, "token_digest", unique=True))

    id: Mapped[int] = mapped_column(Integer(), primary_key=True, autoincrement=True)
    # A name is what the user's notes carry as created_by: the same type.
    name: Mapped[str] = mapped_column(String(100))
    admin: Mapped[bool] = mapped_column(Boolean())
    token_digest: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime())
    token_issued_at: Mapped[datetime] = mapped_column(DateTime())


users_table = cast(Table, UserRow.__table__)


class IdempotencyKeyRow(Base):
    """A create's Idempotency-Key (v1.1, IDEM) and the answer it was given: kept
    NOTES_IDEMPOTENCY_TTL, written in the transaction that creates the note."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (Index(None, "created_at"),)

    # The user's name in token mode (a key is its user's); "" in open mode.
    owner: Mapped[str] = mapped_column(String(100), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    note_id: Mapped[int] = mapped_column(NoteId)
    # The created note as first answered (idempotency.record_to_text).
    answer: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime())


idempotency_keys_table = cast(Table, IdempotencyKeyRow.__table__)
