"""The Pwned Passwords range client against a real HTTP server on loopback.

The server plays ``api.pwnedpasswords.com``: it records what reaches it, so the tests can prove
that only the 5-character prefix of the SHA-1 leaves the machine.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from gardien.services.accounts.breached import (
    LocalBreachedList,
    PwnedPasswordsRange,
    breached_passwords,
    sha1_hex,
)

pytestmark = pytest.mark.integration

LISTED = "Cheval agrafe batterie correcte"  # not in the bundled list: only the server knows it
PADDED = "Lampe ardoise virgule cerise"  # the server answers its suffix with count 0
UNKNOWN = "Parapluie orange sur le toit"
LOCALLY_BREACHED = "azertyazerty"


@dataclass
class FakeRange:
    """What the fake service answers, and what it received."""

    status: int = 200
    delay: float = 0.0
    lines: dict[str, int] = field(default_factory=dict)  # full digest -> count
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def body(self, prefix: str) -> str:
        answer = [
            f"{digest[5:]}:{count}"
            for digest, count in self.lines.items()
            if digest.startswith(prefix)
        ]
        answer += [f"{n:035X}:0" for n in range(3)]  # decoys, as Add-Padding gives
        return "\r\n".join(answer)


class Handler(BaseHTTPRequestHandler):
    server: RangeServer

    def do_GET(self) -> None:
        fake = self.server.fake
        fake.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
        time.sleep(fake.delay)
        body = fake.body(self.path.rsplit("/", 1)[-1]).encode("ascii")
        try:
            self.send_response(fake.status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:  # the client gave up (timeout test)
            pass

    def log_message(self, format: str, *args: object) -> None:
        pass


class RangeServer(HTTPServer):
    def __init__(self, fake: FakeRange) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.fake = fake


@pytest.fixture
def fake() -> Iterator[FakeRange]:
    yield FakeRange(lines={sha1_hex(LISTED): 42, sha1_hex(PADDED): 0})


@pytest.fixture
def server(fake: FakeRange) -> Iterator[RangeServer]:
    httpd = RangeServer(fake)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        thread.join(timeout=5)
        httpd.server_close()


def url_of(server: RangeServer) -> str:
    host, port = server.server_address[:2]
    return f"http://{host!s}:{port}"


def test_only_the_five_character_prefix_is_sent(server: RangeServer, fake: FakeRange) -> None:
    client = PwnedPasswordsRange(url_of(server))
    client.is_breached(LISTED)
    digest = sha1_hex(LISTED)
    [(path, headers)] = fake.requests
    assert path == f"/range/{digest[:5]}"
    sent = path + repr(headers)
    assert digest[5:] not in sent and LISTED not in sent


def test_the_padding_header_is_sent(server: RangeServer, fake: FakeRange) -> None:
    PwnedPasswordsRange(url_of(server)).is_breached(UNKNOWN)
    [(_, headers)] = fake.requests
    assert headers["add-padding"] == "true"


def test_a_listed_suffix_is_breached(server: RangeServer) -> None:
    assert not LocalBreachedList().is_breached(LISTED)
    assert PwnedPasswordsRange(url_of(server)).is_breached(LISTED)


def test_padding_lines_of_count_zero_are_ignored(server: RangeServer) -> None:
    assert not PwnedPasswordsRange(url_of(server)).is_breached(PADDED)


def test_an_unlisted_password_is_not_breached(server: RangeServer) -> None:
    assert not PwnedPasswordsRange(url_of(server)).is_breached(UNKNOWN)


def test_the_factory_builds_the_range_client(server: RangeServer, fake: FakeRange) -> None:
    checker = breached_passwords(url_of(server) + "/")
    assert checker.is_breached(LISTED)
    assert len(fake.requests) == 1


def assert_fell_back(client: PwnedPasswordsRange, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="gardien.services.accounts.breached"):
        assert client.is_breached(LOCALLY_BREACHED)  # from the bundled list
        assert not client.is_breached(LISTED)  # the bundled list does not know it
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2
    for record in warnings:
        message = record.getMessage()
        assert "local list" in message
        for password in (LOCALLY_BREACHED, LISTED):
            digest = sha1_hex(password)
            assert password not in message and digest[:5] not in message


def test_a_server_error_falls_back_to_the_local_list(
    server: RangeServer, fake: FakeRange, caplog: pytest.LogCaptureFixture
) -> None:
    fake.status = 500
    assert_fell_back(PwnedPasswordsRange(url_of(server)), caplog)
    assert len(fake.requests) == 2
    assert "HTTP 500" in caplog.records[0].getMessage()


def test_a_closed_port_falls_back_to_the_local_list(caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens on the port any more: the connection is refused.
    assert_fell_back(PwnedPasswordsRange(f"http://127.0.0.1:{port}"), caplog)
    assert "ConnectError" in caplog.records[0].getMessage()


def test_a_slow_server_falls_back_to_the_local_list(
    server: RangeServer, fake: FakeRange, caplog: pytest.LogCaptureFixture
) -> None:
    fake.delay = 0.5
    assert_fell_back(PwnedPasswordsRange(url_of(server), timeout=0.1), caplog)
    assert "Timeout" in caplog.records[0].getMessage()
