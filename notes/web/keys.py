"""The typed keys of the application's state: no globals, everything lives on the app."""

from __future__ import annotations

from aiohttp import web

from notes.domain.store import NoteStore
from notes.domain.users import Principal, UserDirectory
from notes.settings import Settings
from notes.web.metrics import Metrics

SETTINGS = web.AppKey("settings", Settings)
NOTES = web.AppKey("notes", NoteStore)
OPENAPI_DOCUMENT = web.AppKey("openapi_document", bytes)
CURSOR_KEY = web.AppKey("cursor_key", bytes)
# Users and tokens (v1.1): where tokens are looked up, and who a request acts for.
USERS = web.AppKey("users", UserDirectory)
CALLER = web.RequestKey("caller", Principal)
METRICS = web.AppKey("metrics", Metrics)
