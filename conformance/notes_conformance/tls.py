"""Which certificates a TLS server is checked against."""

from __future__ import annotations

import os


def tls_verify() -> str | bool:
    """What a server's certificate is checked against: REQUESTS_CA_BUNDLE when set (a
    TLS proxy with a certificate of its own, `tox -e proxy`), read here because the
    sessions ignore the environment (trust_env = False keeps a developer's proxy out)."""
    return os.environ.get("REQUESTS_CA_BUNDLE") or True
