"""Request bodies checked against the schemas, with pydantic's errors said our way."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from notes.domain.errors import FieldProblem, ValidationFailed, escape_surrogates
from notes.domain.schemas import NoteInput, NotePatch, OwnedNoteInput

ModelT = TypeVar("ModelT", bound=BaseModel)
WRITABLE_FIELDS = tuple(NoteInput.model_fields)
# The defaults a merge-patch null resets to.
RESETTABLE_DEFAULTS: dict[str, Any] = {
    name: NoteInput.model_fields[name].default for name in ("description", "priority")
}


def _json_path(location: tuple[int | str, ...]) -> str:
    path = "$"
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return escape_surrogates(path)


_NOT_WRITABLE = f"is not a writable field (writable: {', '.join(WRITABLE_FIELDS)})"


def _message(error: Any) -> str:
    if error["type"] == "extra_forbidden":
        return _NOT_WRITABLE
    if error["type"] == "missing":
        return "is required"
    return str(error["msg"]).removeprefix("Value error, ")


def _unreadable(key: str) -> bool:
    """A key with a lone surrogate: pydantic cannot read it, and fails the whole body."""
    return not key.isascii() and escape_surrogates(key) != key


def validate(model: type[ModelT], payload: dict[str, Any]) -> ModelT:
    # No field's name holds a lone surrogate, so such a key is an unknown one: named
    # here, since pydantic would only blame the body ("$").
    unreadable = [key for key in payload if _unreadable(key)]
    problems = [FieldProblem(_json_path((key,)), _NOT_WRITABLE) for key in unreadable]
    if unreadable:
        payload = {key: value for key, value in payload.items() if key not in unreadable}
    try:
        result = model.model_validate(payload)
    except ValidationError as error:
        problems += [
            FieldProblem(_json_path(detail["loc"]), _message(detail))
            for detail in error.errors(include_url=False, include_input=False)
        ]
    if problems:
        raise ValidationFailed(problems)
    return result


def replacement_fields(body: NoteInput | OwnedNoteInput) -> dict[str, Any]:
    """The fields a create or PUT sets: all of them, defaults included, but `created_at`
    only when given (omitted, it is the time of creation, or kept by a PUT)."""
    fields = body.model_dump()
    if fields["created_at"] is None:
        del fields["created_at"]
    if fields["created_by"] is None:  # token mode: the owner's name (OwnedNoteInput)
        del fields["created_by"]
    return fields


def patch_changes(body: NotePatch) -> dict[str, Any]:
    """The fields a merge patch sets, with null resolved to each field's default."""
    changes: dict[str, Any] = {}
    for name in body.model_fields_set:
        value = getattr(body, name)
        changes[name] = RESETTABLE_DEFAULTS[name] if value is None else value
    return changes
