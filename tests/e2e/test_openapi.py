"""The OpenAPI schema tells the truth: schemathesis runs every operation against a real server.

The schema is the app's own (the test checks the server serves the same); each operation gets
bounded, deterministic examples (the schema's own examples, then generated ones, valid and
invalid) sent with the API token, and every built-in check of schemathesis judges the answer:
no 5xx, only documented statuses, content types, headers and bodies, schema-valid requests
accepted, schema-invalid ones refused, the token not ignored, other methods answered 405.

The xAPI resources are not in the schema (``web/xapi.py`` says why); their bad inputs are
tested in ``test_xapi_bad_input.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from gardien.bootstrap import bootstrap
from gardien.store.engine import make_engine
from gardien.store.migrate import upgrade
from gardien.web.app import create_app
from tests.support.server import running_server
from tests.support.transmission_samples import load_contracts

pytestmark = pytest.mark.e2e
TOKEN = "openapi-test-token-0123456789abcdef"

# Every check, bounded and reproducible: 25 generated examples an operation, no random seed,
# no example database kept between runs, nothing cached on disk.
CONFIG: dict[str, Any] = {
    "auth": {"openapi": {"apiToken": {"bearer": TOKEN}}},
    "generation": {
        "mode": "all",  # valid and invalid requests
        "max-examples": 25,
        "deterministic": True,
        "database": "none",
    },
    "cache": {"enabled": False},
    "checks": {"enabled": True},
}


def _schema() -> Any:
    """The app's own OpenAPI schema (what /openapi.json serves), read at collection time."""
    app = create_app(bootstrap(database_url="sqlite://"))  # no query: the schema needs none
    return schemathesis.openapi.from_dict(
        app.openapi(), config=SchemathesisConfig.from_dict(CONFIG)
    )


schema = _schema()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('openapi') / 'api.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    load_contracts(engine)  # the schema's examples name these contracts: they answer 200
    engine.dispose()
    with running_server({"GARDIEN_DATABASE_URL": url, "GARDIEN_API_TOKEN": TOKEN}) as base:
        yield base


@schema.parametrize()
@settings(
    max_examples=25,
    derandomize=True,
    deadline=None,  # a loaded CI machine must not turn a slow answer into a failure
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_every_api_operation_keeps_to_its_schema(case: Any, server: str) -> None:
    response = case.call_and_validate(base_url=server)
    assert response.status_code < 500


def test_the_server_serves_this_schema_and_it_states_the_transmission_body(server: str) -> None:
    raw = httpx.get(f"{server}/openapi.json").json()
    assert raw == schema.raw_schema
    operations = {(method.upper(), path) for path, item in raw["paths"].items() for method in item}
    assert ("POST", "/api/transmissions") in operations
    assert not [path for _, path in operations if path.startswith("/xapi")]
    body = raw["components"]["schemas"]["TransmissionRequest"]
    assert [choice["$ref"].rsplit("/", 1)[1] for choice in body["oneOf"]] == [
        "ContractTransmission",
        "SponsorTransmission",
    ]
    sponsor = raw["components"]["schemas"]["SponsorTransmission"]
    assert set(sponsor["required"]) == {"recipient", "sponsor", "from", "until"}
    assert sponsor["additionalProperties"] is False
    assert raw["paths"]["/api/transmissions"]["post"]["security"] == [{"apiToken": []}]
