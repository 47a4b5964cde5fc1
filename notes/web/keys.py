"""The typed keys of the application's state: no globals, everything lives on the app."""

from __future__ import annotations

from aiohttp import web

from notes.settings import Settings
from notes.storage.database import Database

SETTINGS = web.AppKey("settings", Settings)
DATABASE = web.AppKey("database", Database)
OPENAPI_DOCUMENT = web.AppKey("openapi_document", bytes)
CURSOR_KEY = web.AppKey("cursor_key", bytes)
