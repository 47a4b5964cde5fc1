"""The origin of the listing's absolute links, and the Host headers it refuses."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, make_mocked_request

from notes.web.origin import origin_of, request_origin

NOTE = {"title": "t", "created_by": "me"}


@pytest.mark.parametrize(
    ("scheme", "host", "origin"),
    [
        ("http", "127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http", "example.com", "http://example.com"),
        ("http", "Example.COM:8080", "http://example.com:8080"),
        ("http", "example.com:80", "http://example.com"),
        ("https", "example.com:443", "https://example.com"),
        ("https", "example.com:80", "https://example.com:80"),
        ("http", "example.com:", "http://example.com"),
        ("http", "[::1]:8080", "http://[::1]:8080"),
        ("http", "[::FFFF:1.2.3.4]", "http://[::ffff:1.2.3.4]"),
        ("http", "xn--9ca.com", "http://xn--9ca.com"),
        ("http", "a-b_c~d.e!f$g&h'i(j)k*l+m,n;o=p%41", "http://a-b_c~d.e!f$g&h'i(j)k*l+m,n;o=p%41"),
        ("http", "host:65535", "http://host:65535"),
    ],
)
def test_hosts_and_ports_make_an_origin(scheme: str, host: str, origin: str) -> None:
    assert origin_of(scheme, host) == origin


@pytest.mark.parametrize(
    "host",
    [
        "",  # an http URL needs a host (RFC 9110 section 4.2.1)
        ":8080",
        "a b",
        "x:99999",  # yarl refused it with a ValueError: a 500
        "host:65536",
        "host:123456",
        "h:80:80",
        "evil.com/path?q=",
        "user@host",
        "a%",
        "a%4",
        "é.com",  # not in RFC 3986: clients send the xn-- form
        "[::1",
        "[zz::1]",
        "[1.2.3.4]",
        "::1",
        "host:-1",
        "host:8o",
    ],
)
def test_what_is_not_a_host_and_port_makes_none(host: str) -> None:
    assert origin_of("http", host) is None


async def _first_page_link(client: TestClient[Any, Any], host: str) -> Any:
    for _ in range(2):
        assert (await client.post("/notes", json=NOTE)).status == 201
    return await client.get("/notes", params={"limit": "1"}, headers={"Host": host})


@pytest.mark.parametrize("host", ["x:99999", "a b", "evil.com/path?q="])
async def test_a_bad_host_header_is_400_not_a_link_to_nowhere(
    client: TestClient[Any, Any], host: str
) -> None:
    response = await _first_page_link(client, host)
    assert response.status == 400
    assert response.content_type == "application/problem+json"
    body = await response.json(content_type=None)
    assert body["detail"] == "The Host header is not a valid host and port."
    # whether or not the page has a link to make
    everything = await client.get("/notes", headers={"Host": host})
    assert everything.status == 400


async def test_the_host_header_makes_the_link(client: TestClient[Any, Any]) -> None:
    response = await _first_page_link(client, "Notes.Example:8443")
    assert response.status == 200
    page = await response.json()
    assert page["next"].startswith("http://notes.example:8443/notes?limit=1&cursor=")
    assert response.headers["Link"] == f'<{page["next"]}>; rel="next"'


async def test_without_a_host_header_the_link_names_the_servers_address(
    client: TestClient[Any, Any],
) -> None:
    # HTTP/1.0 may leave Host out; aiohttp's stand-in (the address, no port) pointed
    # at the wrong port.
    for _ in range(2):
        assert (await client.post("/notes", json=NOTE)).status == 201
    port = client.port
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /notes?limit=1 HTTP/1.0\r\n\r\n")
    answer = await reader.read()
    writer.close()
    head = answer.split(b"\r\n\r\n", 1)[0].decode()
    assert head.startswith("HTTP/1.0 200 ")
    assert f"Link: <http://127.0.0.1:{port}/notes?limit=1&cursor=" in head


class _Transport:
    """What request_origin reads of a transport: the socket's own address."""

    def __init__(self, sockname: object) -> None:
        self._sockname = sockname

    def get_extra_info(self, name: str, default: object = None) -> object:
        return self._sockname if name == "sockname" else default


@pytest.mark.parametrize(
    ("sockname", "origin"),
    [
        (("10.0.0.7", 8080), "http://10.0.0.7:8080"),
        (("::1", 8080, 0, 0), "http://[::1]:8080"),
        (("fe80::1%eth0", 8080, 0, 2), "http://[fe80::1%25eth0]:8080"),
        ("/run/notes.sock", "http://localhost"),  # a Unix socket has no host
    ],
)
def test_without_a_host_header_the_socket_address_stands_in(sockname: object, origin: str) -> None:
    request = make_mocked_request("GET", "/notes", transport=_Transport(sockname))
    assert request_origin(request) == origin
