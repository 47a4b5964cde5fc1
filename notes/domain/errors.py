"""Domain errors. The problem middleware turns each into an RFC 9457 answer."""

from __future__ import annotations

import dataclasses
from http import HTTPStatus


@dataclasses.dataclass(frozen=True, slots=True)
class FieldProblem:
    field: str
    message: str


def escape_surrogates(text: str) -> str:
    """Text of an error's field path as an answer can carry it: a lone surrogate (a JSON
    key may hold one), which no UTF-8 text can, is written as its `\\uXXXX` escape."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


class NotesError(Exception):
    """An error with a place in the contract: it knows its status and says what happened."""

    status: HTTPStatus = HTTPStatus.INTERNAL_SERVER_ERROR

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NoteNotFound(NotesError):
    status = HTTPStatus.NOT_FOUND

    def __init__(self, note_id: object) -> None:
        super().__init__(f"There is no note {note_id}.")


class PreconditionFailed(NotesError):
    status = HTTPStatus.PRECONDITION_FAILED

    def __init__(self) -> None:
        super().__init__("If-Match does not match the note's current ETag; nothing was changed.")


class MalformedRequest(NotesError):
    status = HTTPStatus.BAD_REQUEST


class ClientGone(MalformedRequest):
    """The client disconnected before its request was read: a client error, logged quietly."""

    def __init__(self) -> None:
        super().__init__("The client closed the connection before sending the whole request.")


class RequestTimeout(NotesError):
    status = HTTPStatus.REQUEST_TIMEOUT

    def __init__(self, seconds: float) -> None:
        super().__init__(f"The request body did not arrive within {seconds:g} s.")


class Overloaded(NotesError):
    status = HTTPStatus.SERVICE_UNAVAILABLE

    def __init__(self) -> None:
        super().__init__("The server is handling as many requests as it may; retry shortly.")


class UnsupportedMediaType(NotesError):
    status = HTTPStatus.UNSUPPORTED_MEDIA_TYPE


class DatabaseUnavailable(NotesError):
    status = HTTPStatus.SERVICE_UNAVAILABLE

    def __init__(self) -> None:
        super().__init__("The database cannot be reached right now; try again later.")


class ListingOverBudget(NotesError):
    """A listing whose statement ran past NOTES_LIST_TIME_BUDGET, and was stopped so that
    it cannot starve other requests (v1.1, LIST-24)."""

    status = HTTPStatus.SERVICE_UNAVAILABLE

    def __init__(self, seconds: float) -> None:
        super().__init__(
            f"This listing takes longer than the server allows ({seconds:g} s) and was "
            "stopped; narrow it (a longer q, a created_by or priority filter) or retry later."
        )


class SchemaOutOfDate(NotesError):
    """The database's schema is not the revision this code's migrations end at."""

    status = HTTPStatus.SERVICE_UNAVAILABLE

    def __init__(self) -> None:
        super().__init__("The database schema is not at the revision this server expects.")


class ValidationFailed(NotesError):
    status = HTTPStatus.UNPROCESSABLE_ENTITY

    def __init__(self, problems: list[FieldProblem]) -> None:
        super().__init__("The request breaks the rules of the contract; see errors.")
        self.problems = problems

    @classmethod
    def single(cls, field: str, message: str) -> ValidationFailed:
        return cls([FieldProblem(field, message)])


class WriteConflict(NotesError):
    """Two requests wrote the same unique value at once; one of them may simply retry."""

    status = HTTPStatus.CONFLICT

    def __init__(self) -> None:
        super().__init__("A concurrent request wrote the same data; retry the request.")
