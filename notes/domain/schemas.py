"""Request and response bodies: one pydantic model each drives validation and OpenAPI."""

from __future__ import annotations

import math
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
)

from notes.domain.timestamps import TUTORIAL_PATTERN, TimestampError, parse_timestamp

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1
# Decimal.adjusted() of 10**19 and beyond: 20 digits or more, out of every bound here.
_OUT_OF_EVERY_RANGE_EXPONENT = 19
# The OpenAPI pattern of text the service stores: no U+0000. Lone surrogates are refused
# too, but they are not Unicode scalar values (not text at all), and a surrogate range
# is a pattern that Rust-based validators cannot compile, so it is not spelled out.
STORABLE_TEXT_PATTERN = r"^[^\u0000]*$"


def _storable(value: str) -> str:
    """Refuse what a database would choke on, the same way on every backend."""
    if "\x00" in value:
        raise ValueError("must not contain U+0000")
    try:
        # Strict UTF-8 fails exactly on surrogate code points, and in C, where a loop
        # over the characters would hold the event loop (benchmarks/README.md).
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must not contain a lone surrogate") from None
    return value


# Run only at import, before mutmut can switch a mutant on, so no test could kill one
# (hence the pragma); tests/unit/test_openapi.py checks the schemas it makes.
def _text_schema(min_length: int, max_length: int) -> dict[str, Any]:  # pragma: no mutate block
    return {
        "type": "string",
        "minLength": min_length,
        "maxLength": max_length,
        "pattern": STORABLE_TEXT_PATTERN,
    }


TITLE_SCHEMA = _text_schema(1, 200)
DESCRIPTION_SCHEMA = _text_schema(0, 10_000)
CREATED_BY_SCHEMA = _text_schema(1, 100)
PRIORITY_SCHEMA: dict[str, Any] = {"type": "integer", "minimum": INT32_MIN, "maximum": INT32_MAX}


def _integer_only(value: object) -> object:
    """JSON integers, and floats that are whole numbers (JSON Schema calls 4.0 an integer)."""
    if isinstance(value, bool):
        raise ValueError("must be an integer, not a boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        # int() of a Decimal takes time quadratic in its digits (benchmarks/README.md),
        # and the parser hands over integers of thousands of digits as Decimal.
        # From 20 digits on it is out of every bound here: one past the bound, with its
        # sign, gets the same answer as any other integer too large.
        if value.adjusted() >= _OUT_OF_EVERY_RANGE_EXPONENT:
            return INT32_MIN - 1 if value.is_signed() else INT32_MAX + 1
        return int(value)
    raise ValueError("must be an integer")


def _timestamp(value: object) -> datetime:
    if not isinstance(value, str):
        raise ValueError("must be a string holding a date-time")
    try:
        return parse_timestamp(value)
    except TimestampError as error:
        raise ValueError(str(error)) from None


def _not_null(value: object) -> object:
    if value is None:
        raise ValueError("must not be null")
    return value


Title = Annotated[
    str,
    Field(strict=True, min_length=1, max_length=200),
    AfterValidator(_storable),
    WithJsonSchema(TITLE_SCHEMA),
]
Description = Annotated[
    str,
    Field(strict=True, max_length=10_000),
    AfterValidator(_storable),
    WithJsonSchema(DESCRIPTION_SCHEMA),
]
CreatedBy = Annotated[
    str,
    Field(strict=True, min_length=1, max_length=100),
    AfterValidator(_storable),
    WithJsonSchema(CREATED_BY_SCHEMA),
]
Priority = Annotated[
    int,
    BeforeValidator(_integer_only),
    Field(strict=True, ge=INT32_MIN, le=INT32_MAX),
    WithJsonSchema(PRIORITY_SCHEMA),
]
# RFC 3339 allows a leap second (:60); no datetime or database column stores one, so
# the document leaves it out where validators differ (some accept it as a date-time).
NO_LEAP_SECOND_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-5][0-9]"
CREATED_AT_INPUT_SCHEMA: dict[str, Any] = {
    "description": "RFC 3339 (any offset; stored in UTC) or the tutorial's "
    "`YYYY-MM-DD HH:MM[:SS[.ffffff]]`, read as UTC. It must fall in years 1 to 9999 "
    "once converted to UTC. A leap second (:60) cannot be stored.",
    "anyOf": [
        {"type": "string", "format": "date-time", "pattern": NO_LEAP_SECOND_PATTERN},
        {"type": "string", "pattern": TUTORIAL_PATTERN},
    ],
}
# Optional but never null: an omitted key means "default" (create) or "keep" (PUT).
CreatedAtInput = Annotated[
    datetime | None,
    BeforeValidator(_timestamp),
    BeforeValidator(_not_null),
    WithJsonSchema(CREATED_AT_INPUT_SCHEMA),
]


# Run only at import, like _text_schema.
def _nullable(schema: dict[str, Any], default: str) -> WithJsonSchema:  # pragma: no mutate block
    return WithJsonSchema(
        {
            "description": f"null resets it to the default, {default}.",
            "anyOf": [schema, {"type": "null"}],
        }
    )


# Merge-patch values: omitted means "unchanged"; null resets some fields and is refused
# for the others.
PatchTitle = Annotated[Title | None, BeforeValidator(_not_null), WithJsonSchema(TITLE_SCHEMA)]
PatchCreatedBy = Annotated[
    CreatedBy | None, BeforeValidator(_not_null), WithJsonSchema(CREATED_BY_SCHEMA)
]
PatchDescription = Annotated[Description | None, _nullable(DESCRIPTION_SCHEMA, '""')]
PatchPriority = Annotated[Priority | None, _nullable(PRIORITY_SCHEMA, "0")]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NoteInput(_Body):
    """The body of POST /notes and PUT /notes/{id}: every writable field."""

    model_config = ConfigDict(title="NoteInput")

    title: Title
    description: Description = ""
    created_at: CreatedAtInput = None
    created_by: CreatedBy
    priority: Priority = 0


class OwnedNoteInput(_Body):
    """NoteInput in token mode (v1.1): `created_by` may be left out, since it is always
    the owner's name (OWN-1, OWN-2)."""

    model_config = ConfigDict(title="NoteInput")

    title: Title
    description: Description = ""
    created_at: CreatedAtInput = None
    created_by: PatchCreatedBy = None
    priority: Priority = 0


class NotePatch(_Body):
    """A JSON Merge Patch (RFC 7396) of a note: only the keys given change."""

    model_config = ConfigDict(title="NotePatch")

    title: PatchTitle = None
    description: PatchDescription = None
    created_at: CreatedAtInput = None
    created_by: PatchCreatedBy = None
    priority: PatchPriority = None


DateTimeOutput = Annotated[
    str,
    WithJsonSchema(
        {
            "type": "string",
            "format": "date-time",
            "pattern": r"Z$",
            "description": "UTC, RFC 3339, with Z",
        }
    ),
]


class Note(BaseModel):
    """A note as the server returns it, keys in this order."""

    model_config = ConfigDict(extra="forbid", title="Note")

    id: Annotated[int, Field(ge=1)]
    title: Title
    description: Description
    created_at: DateTimeOutput
    created_by: CreatedBy
    priority: Priority
    updated_at: DateTimeOutput


class NotePage(BaseModel):
    """One page of a listing; follow `next` (absolute URL) for the next page."""

    model_config = ConfigDict(extra="forbid", title="NotePage")

    notes: list[Note]
    next: str | None = Field(json_schema_extra={"format": "uri"})


class Health(BaseModel):
    model_config = ConfigDict(extra="forbid", title="Health")

    status: Annotated[str, WithJsonSchema({"type": "string", "const": "ok"})]


class Problem(BaseModel):
    """An error, as RFC 9457 problem details."""

    model_config = ConfigDict(title="Problem")

    type: str = Field(json_schema_extra={"format": "uri-reference"})
    title: str
    status: Annotated[int, Field(ge=400, le=599)]
    detail: str
    # v1.1: the id of the request, as in the answer's X-Request-Id.
    request_id: Annotated[str | None, WithJsonSchema({"type": "string", "title": "Request Id"})] = (
        None
    )


class FieldError(BaseModel):
    model_config = ConfigDict(extra="forbid", title="FieldError")

    field: str = Field(description="JSON path of the value in the body ($.title), or a parameter")
    message: str


class ValidationProblem(Problem):
    """A 422: the request was well-formed but broke the rules, one entry per problem."""

    model_config = ConfigDict(title="ValidationProblem")

    errors: Annotated[list[FieldError], Field(min_length=1)]
