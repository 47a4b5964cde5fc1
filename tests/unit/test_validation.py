"""Request bodies against the schemas: both sides of every bound, said our way."""

from __future__ import annotations

import math
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from notes.domain.errors import FieldProblem, ValidationFailed
from notes.domain.schemas import (
    INT32_MAX,
    INT32_MIN,
    Note,
    NoteInput,
    NotePage,
    NotePatch,
    _integer_only,
    _storable,
)
from notes.domain.validation import (
    RESETTABLE_DEFAULTS,
    WRITABLE_FIELDS,
    patch_changes,
    replacement_fields,
    validate,
)

NOT_WRITABLE = (
    "is not a writable field (writable: title, description, created_at, created_by, priority)"
)
VALID: dict[str, Any] = {"title": "t", "created_by": "me"}


def problems(
    model: type[NoteInput] | type[NotePatch], payload: dict[str, Any]
) -> list[FieldProblem]:
    with pytest.raises(ValidationFailed) as caught:
        validate(model, payload)
    assert caught.value.status == 422
    return caught.value.problems


def only_problem(model: type[NoteInput] | type[NotePatch], payload: dict[str, Any]) -> FieldProblem:
    found = problems(model, payload)
    assert len(found) == 1, found
    return found[0]


def test_constants() -> None:
    assert (INT32_MIN, INT32_MAX) == (-2147483648, 2147483647)
    assert WRITABLE_FIELDS == ("title", "description", "created_at", "created_by", "priority")
    assert RESETTABLE_DEFAULTS == {"description": "", "priority": 0}


def test_minimal_input_takes_the_defaults() -> None:
    body = validate(NoteInput, VALID)
    assert body.model_dump() == {
        "title": "t",
        "description": "",
        "created_at": None,
        "created_by": "me",
        "priority": 0,
    }
    assert body.model_fields_set == {"title", "created_by"}
    assert type(body.priority) is int


def test_full_input() -> None:
    body = validate(
        NoteInput,
        {
            "title": "note two",
            "description": "sample notes",
            "created_at": "2017-08-23 00:00",
            "created_by": "apcelent",
            "priority": 4,
        },
    )
    assert body.title == "note two"
    assert body.description == "sample notes"
    assert body.created_at == datetime(2017, 8, 23)
    assert body.created_by == "apcelent"
    assert body.priority == 4


# -- string lengths, in code points ------------------------------------------------------

LENGTHS = [
    ("title", 1, 200, "at least 1 character", "at most 200 characters"),
    ("created_by", 1, 100, "at least 1 character", "at most 100 characters"),
]


@pytest.mark.parametrize("char", ["a", "é", "𝄞"])
@pytest.mark.parametrize(("field", "low", "high", "_short", "_long"), LENGTHS)
def test_required_text_lengths_accepted(
    char: str, field: str, low: int, high: int, _short: str, _long: str
) -> None:
    for length in (low, high):
        body = validate(NoteInput, {**VALID, field: char * length})
        assert getattr(body, field) == char * length
        patched = validate(NotePatch, {field: char * length})
        assert patch_changes(patched) == {field: char * length}


@pytest.mark.parametrize("char", ["a", "𝄞"])
@pytest.mark.parametrize(("field", "low", "high", "short", "long"), LENGTHS)
@pytest.mark.parametrize("model", [NoteInput, NotePatch])
def test_required_text_lengths_rejected(
    char: str,
    field: str,
    low: int,
    high: int,
    short: str,
    long: str,
    model: type[NoteInput] | type[NotePatch],
) -> None:
    base = VALID if model is NoteInput else {}
    assert only_problem(model, {**base, field: char * (low - 1)}) == FieldProblem(
        f"$.{field}", f"String should have {short}"
    )
    assert only_problem(model, {**base, field: char * (high + 1)}) == FieldProblem(
        f"$.{field}", f"String should have {long}"
    )


@pytest.mark.parametrize("char", ["a", "𝄞"])
def test_description_lengths(char: str) -> None:
    assert validate(NoteInput, {**VALID, "description": ""}).description == ""
    assert validate(NoteInput, {**VALID, "description": char * 10_000}).description == char * 10_000
    assert patch_changes(validate(NotePatch, {"description": ""})) == {"description": ""}
    expected = FieldProblem("$.description", "String should have at most 10000 characters")
    assert only_problem(NoteInput, {**VALID, "description": char * 10_001}) == expected
    assert only_problem(NotePatch, {"description": char * 10_001}) == expected


def test_astral_character_counts_one() -> None:
    assert len("𝄞") == 1
    assert len("𝄞".encode("utf-16-le")) == 4
    validate(NoteInput, {"title": "𝄞" * 200, "created_by": "𝄞" * 100})


# -- what no string may hold -------------------------------------------------------------

STRING_FIELDS = ["title", "description", "created_by"]


@pytest.mark.parametrize("field", STRING_FIELDS)
@pytest.mark.parametrize("text", ["\x00", "a\x00", "\x00b", "a\x00b"])
@pytest.mark.parametrize("model", [NoteInput, NotePatch])
def test_nul_rejected_everywhere(
    field: str, text: str, model: type[NoteInput] | type[NotePatch]
) -> None:
    base = VALID if model is NoteInput else {}
    assert only_problem(model, {**base, field: text}) == FieldProblem(
        f"$.{field}", "must not contain U+0000"
    )


@pytest.mark.parametrize("field", STRING_FIELDS)
@pytest.mark.parametrize("text", ["\ud800", "a\udfff", "\udbff\u0041"])
@pytest.mark.parametrize("model", [NoteInput, NotePatch])
def test_lone_surrogates_rejected(
    field: str, text: str, model: type[NoteInput] | type[NotePatch]
) -> None:
    base = VALID if model is NoteInput else {}
    problem = only_problem(model, {**base, field: text})
    assert problem.field == f"$.{field}"
    assert "unicode" in problem.message or "surrogate" in problem.message


def test_storable_itself() -> None:
    assert _storable("plain 𝄞 text") == "plain 𝄞 text"
    assert _storable("") == ""
    assert _storable("\ud7ff\ue000") == "\ud7ff\ue000"
    with pytest.raises(ValueError, match=r"^must not contain U\+0000$"):
        _storable("a\x00")
    for lone in ("\ud800", "x\udbff", "\udc00y", "\udfff"):
        with pytest.raises(ValueError, match=r"^must not contain a lone surrogate$"):
            _storable(lone)


@pytest.mark.parametrize("field", STRING_FIELDS)
@pytest.mark.parametrize("value", [1, 1.5, True, ["a"], {"a": "b"}])
def test_non_strings_rejected(field: str, value: object) -> None:
    assert only_problem(NoteInput, {**VALID, field: value}) == FieldProblem(
        f"$.{field}", "Input should be a valid string"
    )
    assert only_problem(NotePatch, {field: value}) == FieldProblem(
        f"$.{field}", "Input should be a valid string"
    )


# -- priority ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        (0, 0),
        (-2147483648, -2147483648),
        (2147483647, 2147483647),
        (4.0, 4),
        (-0.0, 0),
        (2147483647.0, 2147483647),
        (-2147483648.0, -2147483648),
        (Decimal("4"), 4),
        (Decimal("4.000"), 4),
        (Decimal("-2147483648"), -2147483648),
    ],
)
def test_priority_accepted(given: object, stored: int) -> None:
    body = validate(NoteInput, {**VALID, "priority": given})
    assert body.priority == stored
    assert type(body.priority) is int
    assert patch_changes(validate(NotePatch, {"priority": given})) == {"priority": stored}


TOO_HIGH = "Input should be less than or equal to 2147483647"
TOO_LOW = "Input should be greater than or equal to -2147483648"


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (2147483648, TOO_HIGH),
        (-2147483649, TOO_LOW),
        (2147483648.0, TOO_HIGH),
        (-2147483649.0, TOO_LOW),
        (10**400, TOO_HIGH),
        (-(10**400), TOO_LOW),
        (Decimal(10) ** 5000, TOO_HIGH),
        (-(Decimal(10) ** 5000), TOO_LOW),
        (Decimal(10**19 - 1), TOO_HIGH),
        (Decimal(10) ** 19, TOO_HIGH),
        (-(Decimal(10) ** 19), TOO_LOW),
        (Decimal("9" * 1_000_000), TOO_HIGH),
        (1e300, TOO_HIGH),
        (True, "must be an integer, not a boolean"),
        (False, "must be an integer, not a boolean"),
        ("4", "must be an integer"),
        ("", "must be an integer"),
        (4.5, "must be an integer"),
        (-0.5, "must be an integer"),
        (math.inf, "must be an integer"),
        (-math.inf, "must be an integer"),
        (math.nan, "must be an integer"),
        (Decimal("4.5"), "must be an integer"),
        (Decimal("NaN"), "must be an integer"),
        ([4], "must be an integer"),
        ({"v": 4}, "must be an integer"),
    ],
)
def test_priority_rejected(given: object, message: str) -> None:
    expected = FieldProblem("$.priority", message)
    assert only_problem(NoteInput, {**VALID, "priority": given}) == expected
    assert only_problem(NotePatch, {"priority": given}) == expected


@pytest.mark.parametrize(
    ("given", "stand_in"),
    [
        (Decimal(10**19 - 1), 10**19 - 1),
        (-Decimal(10**19 - 1), -(10**19 - 1)),
        (Decimal(10) ** 19, INT32_MAX + 1),
        (-(Decimal(10) ** 19), INT32_MIN - 1),
        (Decimal("-" + "9" * 1000), INT32_MIN - 1),
    ],
)
def test_huge_decimals_stand_in_as_one_past_the_bound(given: Decimal, stand_in: int) -> None:
    # From 20 digits on, int() is never called (its time is quadratic in the digits):
    # one past the bound, with the value's sign, gets the same 422 as the value would.
    assert _integer_only(given) == stand_in


@pytest.mark.parametrize(
    "given", [Decimal("Infinity"), Decimal("-Infinity"), Decimal("NaN"), Decimal("sNaN")]
)
def test_priority_decimal_specials_are_validation_errors(given: Decimal) -> None:
    assert only_problem(NoteInput, {**VALID, "priority": given}) == FieldProblem(
        "$.priority", "must be an integer"
    )


def test_priority_null_on_create_is_rejected() -> None:
    assert only_problem(NoteInput, {**VALID, "priority": None}) == FieldProblem(
        "$.priority", "must be an integer"
    )


# -- created_at --------------------------------------------------------------------------


def test_created_at_forms() -> None:
    assert validate(NoteInput, {**VALID, "created_at": "2017-08-23T05:30:00+05:30"}).created_at == (
        datetime(2017, 8, 23)
    )
    assert validate(NotePatch, {"created_at": "2017-08-23 00:00:01"}).created_at == datetime(
        2017, 8, 23, 0, 0, 1
    )


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (None, "must not be null"),
        (5, "must be a string holding a date-time"),
        (["2017-08-23T00:00:00Z"], "must be a string holding a date-time"),
        ("2017-02-30T00:00:00Z", "is not a valid date and time"),
        ("9999-12-31T23:59:59-01:00", "cannot be represented in UTC (year 1 to 9999)"),
        ("2017-08-23T00:00:00+24:00", "has an offset out of range (-23:59 to +23:59)"),
        (
            "yesterday",
            "must be an RFC 3339 date-time (2017-08-23T00:00:00Z) "
            "or YYYY-MM-DD HH:MM[:SS[.ffffff]] in UTC",
        ),
    ],
)
@pytest.mark.parametrize("model", [NoteInput, NotePatch])
def test_created_at_rejected(
    given: object, message: str, model: type[NoteInput] | type[NotePatch]
) -> None:
    base = VALID if model is NoteInput else {}
    assert only_problem(model, {**base, "created_at": given}) == FieldProblem(
        "$.created_at", message
    )


# -- keys --------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["id", "updated_at", "titel", "version", "Title", ""])
@pytest.mark.parametrize("model", [NoteInput, NotePatch])
def test_unknown_keys_named(key: str, model: type[NoteInput] | type[NotePatch]) -> None:
    base = VALID if model is NoteInput else {}
    assert only_problem(model, {**base, key: 1}) == FieldProblem(f"$.{key}", NOT_WRITABLE)


@pytest.mark.parametrize("model", [NoteInput, NotePatch])
def test_unknown_keys_with_lone_surrogates_are_named(
    model: type[NoteInput] | type[NotePatch],
) -> None:
    """Regression: pydantic cannot read such a key, and blamed the whole body ("$")."""
    base = VALID if model is NoteInput else {}
    assert only_problem(model, {**base, "\ud800": 1}) == FieldProblem("$.\\ud800", NOT_WRITABLE)
    assert only_problem(model, {**base, "a\udfffb": 1}) == FieldProblem("$.a\\udfffb", NOT_WRITABLE)


def test_unknown_key_with_a_lone_surrogate_and_other_problems() -> None:
    assert problems(NoteInput, {"\ud800": 1, "title": ""}) == [
        FieldProblem("$.\\ud800", NOT_WRITABLE),
        FieldProblem("$.title", "String should have at least 1 character"),
        FieldProblem("$.created_by", "is required"),
    ]
    # Non-ASCII keys that are text are unknown keys like any other.
    assert only_problem(NoteInput, {**VALID, "tïtle": 1}) == FieldProblem("$.tïtle", NOT_WRITABLE)


def test_missing_required() -> None:
    assert problems(NoteInput, {}) == [
        FieldProblem("$.title", "is required"),
        FieldProblem("$.created_by", "is required"),
    ]
    assert only_problem(NoteInput, {"title": "t"}) == FieldProblem("$.created_by", "is required")
    assert only_problem(NoteInput, {"created_by": "me"}) == FieldProblem("$.title", "is required")


def test_every_problem_reported_at_once() -> None:
    found = problems(
        NoteInput,
        {
            "title": "",
            "description": 7,
            "created_at": "nope",
            "created_by": "x" * 101,
            "priority": True,
            "id": 3,
            "updated_at": "2017-08-23T00:00:00Z",
        },
    )
    assert [problem.field for problem in found] == [
        "$.title",
        "$.description",
        "$.created_at",
        "$.created_by",
        "$.priority",
        "$.id",
        "$.updated_at",
    ]
    for problem in found:
        assert not problem.message.startswith("Value error")
        assert problem.message


def test_messages_lose_pydantic_prefix() -> None:
    problem = only_problem(NoteInput, {**VALID, "title": "\x00"})
    assert problem.message == "must not contain U+0000"


def test_nested_paths_use_brackets_for_indices() -> None:
    with pytest.raises(ValidationFailed) as caught:
        validate(NotePage, {"notes": [{"id": 0}], "next": None})
    fields = [problem.field for problem in caught.value.problems]
    assert fields[0] == "$.notes[0].id"
    assert "$.notes[0].title" in fields
    assert all(field.startswith("$.notes[0].") for field in fields)


def test_validate_returns_the_model_type() -> None:
    note = validate(
        Note,
        {
            "id": 1,
            "title": "t",
            "description": "",
            "created_at": "2017-08-23T00:00:00Z",
            "created_by": "me",
            "priority": 0,
            "updated_at": "2017-08-23T00:00:00Z",
        },
    )
    assert isinstance(note, Note)
    assert note.id == 1


# -- PATCH nulls and what a body sets ----------------------------------------------------


@pytest.mark.parametrize("field", ["title", "created_by", "created_at"])
def test_patch_null_refused(field: str) -> None:
    assert only_problem(NotePatch, {field: None}) == FieldProblem(f"$.{field}", "must not be null")


def test_patch_null_resets_defaults() -> None:
    body = validate(NotePatch, {"description": None, "priority": None})
    assert patch_changes(body) == {"description": "", "priority": 0}
    assert patch_changes(validate(NotePatch, {"description": None})) == {"description": ""}
    assert patch_changes(validate(NotePatch, {"priority": None})) == {"priority": 0}


def test_patch_changes_only_given_keys() -> None:
    assert patch_changes(validate(NotePatch, {})) == {}
    assert patch_changes(validate(NotePatch, {"priority": 0, "description": "x"})) == {
        "priority": 0,
        "description": "x",
    }
    assert patch_changes(
        validate(
            NotePatch,
            {
                "title": "a",
                "created_by": "b",
                "created_at": "2017-08-23T00:00:00Z",
                "description": "d",
                "priority": -1,
            },
        )
    ) == {
        "title": "a",
        "created_by": "b",
        "created_at": datetime(2017, 8, 23),
        "description": "d",
        "priority": -1,
    }


def test_patch_all_nulls_reports_each_refusal() -> None:
    assert problems(
        NotePatch,
        {
            "title": None,
            "description": None,
            "created_at": None,
            "created_by": None,
            "priority": None,
        },
    ) == [
        FieldProblem("$.title", "must not be null"),
        FieldProblem("$.created_at", "must not be null"),
        FieldProblem("$.created_by", "must not be null"),
    ]


def test_replacement_fields_defaults_without_created_at() -> None:
    assert replacement_fields(validate(NoteInput, VALID)) == {
        "title": "t",
        "description": "",
        "created_by": "me",
        "priority": 0,
    }


def test_replacement_fields_with_created_at() -> None:
    fields = replacement_fields(
        validate(
            NoteInput,
            {**VALID, "created_at": "2017-08-23T00:00:00Z", "description": "d", "priority": 3},
        )
    )
    assert fields == {
        "title": "t",
        "description": "d",
        "created_at": datetime(2017, 8, 23),
        "created_by": "me",
        "priority": 3,
    }


def test_bodies_are_frozen() -> None:
    body = validate(NoteInput, VALID)
    with pytest.raises(ValueError, match="frozen"):
        body.title = "other"  # type: ignore[misc]
