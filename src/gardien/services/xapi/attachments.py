"""Attachment content of xAPI statements: kept in the blob store, given back, deleted.

- :func:`keep_attachments`, after a request's statements are stored: records which stored
  statement carries which content and writes the content new to the blob store, in one
  transaction (the content is written before the rows are committed, so a committed row never
  names missing content).
- :func:`attachment_parts`: the content of the attachments of statements being read, for a
  ``GET`` with ``attachments=true``.
- :func:`drop_unused_blobs`: deletes the content no attachment uses any more. Attachment rows
  go with their statements (``ON DELETE CASCADE``), whatever deletes them; what deletes
  statements (an erasure, a sweep) calls this after its commit. A run that did not happen (a
  crash in between) is caught up by the next one: nothing is lost, content only waits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from gardien.domain.clock import Clock
from gardien.domain.xapi.attachments import Part
from gardien.store.blobs import BlobStore, sha256_of
from gardien.store.uow import UnitOfWork
from gardien.store.xapi_attachments import (
    Attachment,
    add_attachments,
    attachments_of,
    unused_blobs,
)

# A request adding an attachment may lose a race against the deletion of the same content
# (store/xapi_attachments.py): it is tried once more, and then adds the content anew.
_TRIES = 2
BATCH = 1000


def keep_attachments(
    engine: Engine,
    blobs: BlobStore,
    statements: Sequence[Mapping[str, Any]],
    ids: Sequence[str],
    parts: Mapping[str, bytes],
    *,
    clock: Clock,
) -> int:
    """Keep the content that came in ``parts`` (by lower-case hash) for the attachments of
    ``statements``, stored under ``ids`` (same order); how many attachments were recorded."""
    wanted: list[Attachment] = []
    contents: dict[str, bytes] = {}
    for statement, statement_id in zip(statements, ids, strict=True):
        for attachment in statement.get("attachments", ()):
            content = parts.get(attachment["sha2"].lower())
            if content is None:
                continue  # a fileUrl: the content is elsewhere
            name = sha256_of(content)
            contents[name] = content
            wanted.append(
                Attachment(
                    statement_id=statement_id,
                    sha2=attachment["sha2"],
                    sha256=name,
                    content_type=attachment["contentType"],
                    length=len(content),
                )
            )
    if not wanted:
        return 0
    for attempt in range(_TRIES):
        try:
            with UnitOfWork(engine, write=True) as uow:
                added = add_attachments(uow.connection, wanted, now=clock.now())
                for name in sorted({item.sha256 for item in added}):
                    if not blobs.exists(name):
                        blobs.put(name, contents[name])
                uow.commit()
            return len(added)
        except IntegrityError:
            if attempt + 1 == _TRIES:
                raise
    raise AssertionError("unreachable")


def attachment_parts(
    engine: Engine, blobs: BlobStore, statements: Sequence[Mapping[str, Any]]
) -> list[Part]:
    """The content kept for the attachments of ``statements``: each content once, in the
    order of the statements."""
    ids = [str(statement["id"]) for statement in statements]
    with engine.connect() as connection:
        found = attachments_of(connection, ids)
    by_statement: dict[str, list[Attachment]] = {}
    for item in found:
        by_statement.setdefault(item.statement_id, []).append(item)
    parts: list[Part] = []
    seen: set[str] = set()
    for statement_id in ids:
        for item in by_statement.get(statement_id, ()):
            if item.sha2.lower() in seen:
                continue
            seen.add(item.sha2.lower())
            parts.append(Part(item.sha2, item.content_type, blobs.get(item.sha256)))
    return parts


def drop_unused_blobs(engine: Engine, blobs: BlobStore) -> int:
    """Delete from the blob store the content no attachment uses; how many blobs went."""
    dropped = 0
    while True:
        try:
            with UnitOfWork(engine, write=True) as uow:
                names = unused_blobs(uow.connection, limit=BATCH)
                for name in names:
                    blobs.delete(name)
                uow.commit()
        except IntegrityError:
            # A request gave one of them a new use meanwhile: nothing was deleted from the
            # store (the DELETE failed first); the next run takes the others.
            return dropped
        dropped += len(names)
        if len(names) < BATCH:
            return dropped
