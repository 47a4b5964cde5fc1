"""The views: read the request, call the data layer, shape the answer. Nothing more."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import hdrs, web

from notes.domain.errors import NoteNotFound
from notes.domain.idempotency import KEY_HEADER, REPLAYED_HEADER, idempotency_key
from notes.domain.listing import NOTE_ID_MAX, encode_position, parse_list_query
from notes.domain.records import dumps
from notes.domain.schemas import NoteInput, NotePatch, OwnedNoteInput
from notes.domain.users import Caller, cursor_key_for
from notes.domain.validation import patch_changes, replacement_fields, validate
from notes.web.auth import caller_of
from notes.web.conditional import if_match, not_modified
from notes.web.keys import CURSOR_KEY, NOTES, OPENAPI_DOCUMENT, SETTINGS
from notes.web.links import next_page_url
from notes.web.origin import request_origin
from notes.web.request_body import read_json_object
from notes.web.responses import json_response, note_response

# One spelling per note: no sign, no leading zero, within the id column's range.
_NOTE_ID = re.compile(r"[1-9][0-9]{0,18}")


def _note_id(request: web.Request) -> int:
    text = request.match_info["note_id"]
    if not _NOTE_ID.fullmatch(text) or int(text) > NOTE_ID_MAX:
        raise NoteNotFound(text)
    return int(text)


async def _body(request: web.Request) -> dict[str, Any]:
    return await read_json_object(request, seconds=request.app[SETTINGS].request_timeout)


def _input_model(caller: Caller) -> type[NoteInput | OwnedNoteInput]:
    """In token mode `created_by` may be left out: it is the caller's (OWN-1)."""
    return NoteInput if caller is None else OwnedNoteInput


async def list_notes(request: web.Request) -> web.Response:
    origin = request_origin(request)  # a bad Host is refused whether or not a link follows
    settings = request.app[SETTINGS]
    caller = caller_of(request)
    key = cursor_key_for(request.app[CURSOR_KEY], caller)  # a cursor is its user's (OWN-9)
    query = parse_list_query(
        request.query,
        default_limit=settings.default_page_size,
        max_limit=settings.max_page_size,
        signing_key=key,
    )
    page = await request.app[NOTES].list_page(query, caller=caller)
    headers: dict[str, str] = {}
    next_url = None
    if page.last is not None:
        cursor = encode_position(page.last, query.sort, key=key)
        next_url = next_page_url(request.rel_url, origin, cursor)
        headers[hdrs.LINK] = f'<{next_url}>; rel="next"'
    # The page is JSON already (`Page.notes`): the body is joined around it.
    body = b'{"notes":' + page.notes + b',"next":' + dumps(next_url) + b"}"
    return web.Response(body=body, headers=headers, content_type="application/json")


async def create_note(request: web.Request) -> web.Response:
    caller = caller_of(request)
    payload = await _body(request)
    key = idempotency_key(request.headers.getall(KEY_HEADER, []), payload)
    fields = replacement_fields(validate(_input_model(caller), payload))
    headers: dict[str, str] = {}
    if key is None:
        note = await request.app[NOTES].create_note(fields, caller=caller)
    else:
        note, replayed = await request.app[NOTES].create_note_once(fields, key, caller=caller)
        if replayed:
            headers[REPLAYED_HEADER] = "true"
    headers[hdrs.LOCATION] = f"/notes/{note.id}"
    return note_response(note, status=201, headers=headers)


async def get_note(request: web.Request) -> web.Response:
    note_id = _note_id(request)
    note = await request.app[NOTES].get_note(note_id, caller=caller_of(request))
    if not_modified(request, note.etag):
        return web.Response(status=304, headers={hdrs.ETAG: note.etag})
    return note_response(note)


async def replace_note(request: web.Request) -> web.Response:
    note_id = _note_id(request)
    body = validate(_input_model(caller_of(request)), await _body(request))
    return await _update(request, note_id, replacement_fields(body))


async def patch_note(request: web.Request) -> web.Response:
    note_id = _note_id(request)
    body = validate(NotePatch, await _body(request))
    return await _update(request, note_id, patch_changes(body))


async def _update(request: web.Request, note_id: int, changes: dict[str, Any]) -> web.Response:
    """PUT and PATCH alike: validated changes, applied under the request's If-Match."""
    notes, caller = request.app[NOTES], caller_of(request)
    note = await notes.update_note(note_id, changes, if_match(request), caller=caller)
    return note_response(note)


async def delete_note(request: web.Request) -> web.Response:
    note_id = _note_id(request)
    await request.app[NOTES].delete_note(note_id, if_match(request), caller=caller_of(request))
    return web.Response(status=204)


async def health(request: web.Request) -> web.Response:
    await request.app[NOTES].check_health()
    return json_response({"status": "ok"})


async def health_live(request: web.Request) -> web.Response:
    """The process answers: never touches the database (a restart would not fix it)."""
    return json_response({"status": "ok"})


async def health_ready(request: web.Request) -> web.Response:
    """The database answers and its schema is the one this code expects."""
    await request.app[NOTES].check_ready()
    return json_response({"status": "ok"})


async def openapi_document(request: web.Request) -> web.Response:
    return web.Response(body=request.app[OPENAPI_DOCUMENT], content_type="application/json")
