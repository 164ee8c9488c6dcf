"""Stored statements name their learner by pseudonym only (DESIGN principle 8)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson
import pytest

from gardien.services.importing.document import ResultIn, StatementIn
from gardien.services.importing.pseudonymise import (
    StatementEncoder,
    actor,
    brief_statement,
    leaks,
    scrubbed_statement,
)

EMAIL = "alix.exemple@example.org"
AGENT = actor("https://gardien.example.org", "0b7e3c1e-4f7c-4d53-9a0c-2d8f7f1e6a10")


def _statement(**fields: Any) -> StatementIn:
    values: dict[str, Any] = {
        "id": "6f1c7a52-2d0b-4c3e-9a61-3f0c1b2a4d01",
        "learner": EMAIL,
        "verb": "http://adlnet.gov/expapi/verbs/passed",
        "object": 'https://lms.example.org/m?"quoted"',
        "timestamp": datetime(2024, 2, 1, 10, tzinfo=UTC),
    }
    values.update(fields)
    return StatementIn(**values)


def _encode(statement: StatementIn) -> dict[str, Any]:
    text = StatementEncoder().encode(
        statement, AGENT, orjson.dumps(AGENT).decode(), statement.timestamp.isoformat()
    )
    decoded: dict[str, Any] = orjson.loads(text)
    return decoded


@pytest.mark.parametrize(
    "result",
    [
        None,
        ResultIn(),
        ResultIn(success=True),
        ResultIn(success=False, completion=True, score_scaled=0.25),
    ],
)
def test_the_fast_encoder_equals_the_plain_statement(result: ResultIn | None) -> None:
    offset = datetime(2024, 2, 1, 10, 0, 0, 5, tzinfo=timezone(timedelta(hours=1)))
    for statement in (_statement(result=result), _statement(result=result, timestamp=offset)):
        assert _encode(statement) == orjson.loads(orjson.dumps(brief_statement(statement, AGENT)))


def test_a_brief_statement_is_valid_xapi_with_the_pseudonymous_actor() -> None:
    stored = _encode(_statement(result=ResultIn(success=True, score_scaled=0.5)))
    assert stored["actor"] == {
        "objectType": "Agent",
        "account": {
            "homePage": "https://gardien.example.org",
            "name": "0b7e3c1e-4f7c-4d53-9a0c-2d8f7f1e6a10",
        },
    }
    assert stored["object"] == {
        "objectType": "Activity",
        "id": 'https://lms.example.org/m?"quoted"',
    }
    assert stored["result"] == {"success": True, "score": {"scaled": 0.5}}


def test_a_full_statement_loses_every_person_but_the_pseudonymous_actor() -> None:
    raw = {
        "id": "ignored: the record's id wins",
        "actor": {"objectType": "Agent", "name": "Alix Exemplaire", "mbox": f"mailto:{EMAIL}"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/passed", "display": {"en-US": "passed"}},
        "object": {"objectType": "Agent", "mbox": "mailto:other@example.org"},
        "authority": {"objectType": "Agent", "mbox": "mailto:lrs@example.org"},
        "context": {
            "instructor": {"name": "Tutor Fictif", "mbox": "mailto:tutor@example.org"},
            "team": {"objectType": "Group", "member": []},
            "contextAgents": [{"objectType": "contextAgent", "agent": {"name": "Someone"}}],
            "platform": "Example LMS",
        },
    }
    stored = scrubbed_statement(_statement(raw=raw), AGENT)
    assert stored["id"] == "6f1c7a52-2d0b-4c3e-9a61-3f0c1b2a4d01"
    assert stored["actor"] == AGENT
    assert "authority" not in stored
    assert stored["context"] == {"platform": "Example LMS"}
    assert stored["object"] == {
        "objectType": "Activity",
        "id": 'https://lms.example.org/m?"quoted"',
    }
    assert stored["verb"]["display"] == {"en-US": "passed"}
    text = orjson.dumps(stored).decode()
    assert "mailto" not in text
    assert leaks(text, email=EMAIL, full_name="Alix Exemplaire") is None
    assert raw["actor"]["mbox"] == f"mailto:{EMAIL}", "the document itself is left untouched"


def test_a_sub_statement_as_object_is_replaced_by_the_activity() -> None:
    raw = {"object": {"objectType": "SubStatement", "actor": {"mbox": f"mailto:{EMAIL}"}}}
    stored = scrubbed_statement(_statement(raw=raw), AGENT)
    assert stored["object"]["objectType"] == "Activity"


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ('{"x": "ALIX.EXEMPLE@example.org"}', "e-mail address"),
        ('{"x": "2e1b9a4f0b2b9b0d7c3f0c6f6b1d5c1d0e9a8b7c"}', None),
        ('{"note": "well done alix exemplaire"}', "full name"),
        ('{"note": "well done"}', None),
    ],
)
def test_leaks(text: str, found: str | None) -> None:
    assert leaks(text, email=EMAIL, full_name="Alix Exemplaire") == found


def test_leaks_finds_the_hashed_address() -> None:
    import hashlib

    digest = hashlib.sha1(f"mailto:{EMAIL}".encode(), usedforsecurity=False).hexdigest()
    assert leaks(f'{{"mbox_sha1sum": "{digest}"}}', email=EMAIL, full_name=None) == (
        "hashed e-mail address (mbox_sha1sum)"
    )
