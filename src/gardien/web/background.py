"""The web app served in a background thread on a loopback port, for commands that talk to it.

``gardien demo-data`` sends its statements to the LRS over real HTTP, as a platform does; it
runs the app with its own container (database, clock, settings), so what the server stores is
what ``gardien serve`` with the same options would.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from gardien.bootstrap import Container
from gardien.errors import ConfigurationError
from gardien.web.app import create_app

LOOPBACK = "127.0.0.1"


@contextmanager
def serving_in_background(container: Container, *, timeout: float = 30.0) -> Iterator[str]:
    """Serve ``container``'s web app on a free loopback port; yield its base URL; then stop it.

    Requests made after the block are refused: the server is stopped and its thread joined.
    """
    config = uvicorn.Config(
        create_app(container),
        host=LOOPBACK,
        port=0,  # the system picks a free port; read back once the server listens
        # Leave the process's logging as it is; warnings and errors still reach stderr.
        log_config=None,
        log_level="warning",
        # No access log: it would record client IP addresses, which are personal data.
        access_log=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="gardien-background-web", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise ConfigurationError("the web app did not start on a loopback port")
            time.sleep(0.01)
        port = int(server.servers[0].sockets[0].getsockname()[1])
        yield f"http://{LOOPBACK}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=timeout)
