"""Before any check: is there a server at the URL, and is it a notes server at all?

One clear line instead of hundreds of connection errors or `KeyError: 'paths'`.
"""

from __future__ import annotations

import re

import requests

from notes_conformance.tls import tls_verify

TIMEOUT = 10.0
# The collection and one item path; the contract does not name the item's parameter.
ITEM_PATH = re.compile(r"^/notes/\{[^}/]+\}$")


class NotANotesServer(Exception):
    """The target cannot be checked; the message says why, in one line."""


def check_target(base_url: str) -> None:
    document_url = f"{base_url}/openapi.json"
    session = requests.Session()
    session.trust_env = False
    try:
        with session:
            response = session.get(document_url, timeout=TIMEOUT, verify=tls_verify())
    except requests.ConnectionError as error:
        raise NotANotesServer(
            f"cannot connect to {base_url}: is the server running? ({_root(error)})"
        ) from None
    except requests.Timeout:
        raise NotANotesServer(f"{base_url} did not answer within {TIMEOUT:.0f} s") from None
    except requests.RequestException as error:
        raise NotANotesServer(f"cannot reach {base_url}: {_root(error)}") from None
    if response.status_code != 200:
        raise NotANotesServer(
            f"{base_url} is not a notes server: GET /openapi.json answered "
            f"{response.status_code} {response.reason}"
        )
    try:
        document = response.json()
    except ValueError:
        raise NotANotesServer(
            f"{base_url} is not a notes server: /openapi.json is not JSON "
            f"({response.headers.get('Content-Type', 'no Content-Type')})"
        ) from None
    paths = document.get("paths") if isinstance(document, dict) else None
    if not isinstance(paths, dict):
        paths = {}
    missing = [] if "/notes" in paths else ["/notes"]
    if not any(ITEM_PATH.match(str(path)) for path in paths):
        missing.append("/notes/{id}")
    if missing:
        raise NotANotesServer(
            f"{base_url} is not a notes server: its /openapi.json has no {', '.join(missing)}"
        )


def _root(error: BaseException) -> str:
    while error.__context__ is not None and error.__context__ is not error:
        error = error.__context__
    return str(error).splitlines()[0] if str(error) else type(error).__name__
