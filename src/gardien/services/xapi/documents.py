"""The xAPI document resources (State, Activity Profile, Agent Profile), the Activities and the
Agents resources: what a request reads and writes, with the agent pseudonymised.

A document about a person is never filed under the agent as sent. The agent is resolved to a
learner when it names one (its ``mbox`` or ``mbox_sha1sum`` is a learner's, or its ``account``
is a learner's pseudonym on gardien's home page): the document is then written under the
learner's pseudonym and linked to the learner, whose retention and erasure it follows. Anyone
else's document is written under their keyed pseudonym (``domain/xapi/pseudonyms.py``) and
kept by the policy's ``unlinked_documents`` rule. Reads look under every name the person may
have had: their learner pseudonym, and the keyed pseudonym of their identifier under the
current and the retired keys, so that a document written before they were a learner, or
before a key rotation, is still theirs.

Rules of the resources themselves (merge, ETags, preconditions, parameters) are in
``domain/xapi/documents.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Connection, Engine

from gardien.domain.clock import Clock
from gardien.domain.lookup import normalise_address
from gardien.domain.xapi.activities import activity_object
from gardien.domain.xapi.documents import (
    Address,
    Preconditions,
    check_write,
    checked_content,
    etag_of,
    merged,
)
from gardien.domain.xapi.identifiers import mbox_sha1sum
from gardien.domain.xapi.pseudonyms import Pseudonyms
from gardien.errors import XapiDocumentConflictError, XapiValidationError
from gardien.store import xapi_documents as store
from gardien.store.uow import UnitOfWork

# agent_name's width (store/tables/xapi_documents.py): a pseudonym is far shorter.
MAX_NAME = 255


@dataclass(frozen=True)
class Who:
    """The names a person's documents may be under, the one written now, their learner."""

    names: list[str]
    name: str
    learner_id: int | None
    account: dict[str, str]


def who(connection: Connection, agent: Mapping[str, Any], pseudonyms: Pseudonyms) -> Who:
    """How the documents about ``agent`` are filed (an Agent with one identifier)."""
    found = _learner(connection, agent, pseudonyms)
    names = pseudonyms.candidates(agent)
    if found is None:
        name = pseudonyms.stored_name(agent) or ""
        if not name or len(name) > MAX_NAME:
            raise XapiValidationError("agent", "names no one this LRS can file a document under")
        account = pseudonyms.agent(agent)["account"]
        return Who(names, name, None, account)
    digest = found.mbox_sha1sum or mbox_sha1sum(found.email)
    names = [found.pseudonym, *names, *pseudonyms.candidates({"mbox_sha1sum": digest})]
    account = {"homePage": pseudonyms.learner_home, "name": found.pseudonym}
    return Who(list(dict.fromkeys(names)), found.pseudonym, found.id, account)


def _learner(
    connection: Connection, agent: Mapping[str, Any], pseudonyms: Pseudonyms
) -> store.NamedLearner | None:
    mbox = agent.get("mbox")
    if isinstance(mbox, str):
        email = normalise_address(mbox.removeprefix("mailto:"))
        return store.learner_named(connection, email=email)
    digest = agent.get("mbox_sha1sum")
    if isinstance(digest, str):
        return store.learner_named(connection, mbox_sha1sum=digest.lower())
    account = agent.get("account")
    if isinstance(account, Mapping):
        home = str(account.get("homePage", "")).rstrip("/")
        if home == pseudonyms.learner_home:
            return store.learner_named(connection, pseudonym=str(account.get("name", "")))
    return None


def _place(connection: Connection, address: Address, pseudonyms: Pseudonyms) -> store.Place:
    """Where the one document ``address`` names is, under every name its agent may have."""
    document_id = address.document_id
    if address.kind == "activity_profile":
        key = store.document_key("activity_profile", address.activity_id, document_id)
        about = {"activity_id": address.activity_id, "document_id": document_id}
        return store.Place("activity_profile", key, [key], about)
    assert address.agent is not None
    person = who(connection, address.agent, pseudonyms)

    def key_for(name: str) -> str:
        return store.document_key(
            address.kind, address.activity_id, name, address.registration, document_id
        )

    columns: dict[str, Any] = {
        "kind": address.kind,
        "agent_name": person.name,
        "activity_id": address.activity_id,
        "registration": address.registration,
        "document_id": document_id,
        "learner_id": person.learner_id,
    }
    return store.Place(
        address.kind, key_for(person.name), [key_for(n) for n in person.names], columns
    )


def read_document(
    engine: Engine, address: Address, *, pseudonyms: Pseudonyms
) -> store.StoredDocument | None:
    """The document ``address`` names (its id given), None when there is none."""
    with UnitOfWork(engine) as uow:
        return store.current(uow.connection, _place(uow.connection, address, pseudonyms))


def document_ids(
    engine: Engine, address: Address, *, since: datetime | None, pseudonyms: Pseudonyms
) -> tuple[list[str], datetime | None]:
    """The ids of the documents ``address`` names (no id given), changed after ``since``;
    and when the latest of them changed (None: there is none)."""
    with UnitOfWork(engine) as uow:
        connection = uow.connection
        names = who(connection, address.agent, pseudonyms).names if address.agent else []
        return store.document_ids(
            connection,
            address.kind,
            activity_id=address.activity_id,
            names=names,
            registration=address.registration,
            since=since,
        )


def write_document(
    uow: UnitOfWork,
    address: Address,
    content: bytes,
    content_type: str,
    conditions: Preconditions,
    *,
    method: Literal["PUT", "POST"],
    pseudonyms: Pseudonyms,
    clock: Clock,
) -> None:
    """Store (PUT) or merge into (POST) the document ``address`` names, if ``conditions``
    hold against what is stored; nothing changes when the request is refused."""
    checked_content(content, content_type)
    with uow:
        connection = uow.connection
        place = _place(connection, address, pseudonyms)
        stored = store.current(connection, place, lock=True)
        check_write(stored.etag if stored else None, conditions, method=method, kind=address.kind)
        if method == "POST" and stored is not None:
            content, content_type = merged(
                stored.content, stored.content_type, content, content_type
            )
        written = store.save(
            connection,
            place,
            content=content,
            content_type=content_type,
            etag=etag_of(content),
            now=clock.now(),
        )
        if not written:
            raise XapiDocumentConflictError(
                "another request stored this document at the same moment: read it, then write"
                " again with its ETag in If-Match"
            )
        uow.commit()


def delete_documents(
    uow: UnitOfWork, address: Address, conditions: Preconditions, *, pseudonyms: Pseudonyms
) -> int:
    """Delete the document ``address`` names, if ``conditions`` hold; without an id (the State
    resource only), every State document of its activity and agent. Documents deleted."""
    with uow:
        connection = uow.connection
        if address.document_id is None:
            assert address.agent is not None and address.activity_id is not None
            gone = store.remove_states(
                connection,
                activity_id=address.activity_id,
                names=who(connection, address.agent, pseudonyms).names,
                registration=address.registration,
            )
        else:
            place = _place(connection, address, pseudonyms)
            stored = store.current(connection, place, lock=True)
            check_write(
                stored.etag if stored else None, conditions, method="DELETE", kind=address.kind
            )
            gone = store.remove(connection, place)
        uow.commit()
    return gone


def activity(engine: Engine, activity_id: str) -> dict[str, Any]:
    """The Activity object of ``activity_id``, with its canonical definition if one is known."""
    with UnitOfWork(engine) as uow:
        definition = store.activity_definition(uow.connection, activity_id)
    return activity_object(activity_id, definition)


def person(engine: Engine, agent: Mapping[str, Any], *, pseudonyms: Pseudonyms) -> dict[str, Any]:
    """The Person object of the Agents resource for ``agent`` (Communication 2.4).

    gardien keeps no name, address or identifier of anyone: only pseudonyms. So the Person
    holds the identifier the request itself gave (which the client knows already, 2.4.s3.b3)
    and the account the agent is stored under (its pseudonym, as statements show it); no name.
    """
    with UnitOfWork(engine) as uow:
        stored = who(uow.connection, agent, pseudonyms).account
    found: dict[str, Any] = {"objectType": "Person", "name": []}
    for key in ("mbox", "mbox_sha1sum", "openid"):
        if isinstance(agent.get(key), str):
            found[key] = [agent[key]]
    accounts = [dict(agent["account"])] if isinstance(agent.get("account"), Mapping) else []
    if stored not in accounts:
        accounts.append(stored)
    found["account"] = accounts
    return found
