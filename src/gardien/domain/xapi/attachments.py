"""Attachments of a request matched with its statements (Communication 1.5.2, Data 2.4.11, 2.6).

A request brings statements and, in ``multipart/mixed``, the raw content of attachments, each
named by the hash its part declares (``X-Experience-API-Hash``, already checked against the
content by the parser). The LRS MUST refuse (400):

- an attachment that has no ``fileUrl`` and whose content came in no part (1.5.2.s3.b5);
- a part that is the content of no attachment of the request (XAPI-00128);
- a malformed signature (Data 2.6, ``signature.py``): an attachment of the signature usage
  type that is not ``application/octet-stream``, whose JWS did not come as a part, or that
  does not check.

A signature is checked, then not kept: it signs the statement as it was sent, naming its
actor in clear (in the JWS payload), while the store keeps the statement under a pseudonym
(docs/xapi.md), which the signature could no longer verify against. The statements to store
are returned without their signature attachments. Plain Python: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gardien.domain.xapi.signature import SIGNATURE_TYPE, check_signature, is_signature, unsigned
from gardien.errors import XapiValidationError


@dataclass(frozen=True)
class Part:
    """One attachment's content as an answer carries it: the hash the statement declares,
    the content type, the bytes."""

    sha2: str
    content_type: str
    content: bytes


def with_checked_attachments(
    statements: list[dict[str, Any]], parts: Mapping[str, bytes]
) -> list[dict[str, Any]]:
    """Check ``parts`` (content by lower-case hash) against ``statements`` (validated); the
    statements as they are to be stored, signatures checked and removed."""
    count = len(statements)
    declared: set[str] = set()
    result = []
    for index, statement in enumerate(statements):
        attachments = statement.get("attachments", ())
        for number, attachment in enumerate(attachments):
            where = _at(index, count, f"attachments[{number}]")
            sha2 = attachment["sha2"].lower()
            declared.add(sha2)
            if is_signature(attachment):
                _check_signature(attachment, parts.get(sha2), statement, where)
            elif "fileUrl" not in attachment and sha2 not in parts:
                raise XapiValidationError(
                    f"{where}.sha2",
                    "no part of the request holds this attachment's content, and it has no"
                    " fileUrl: send it as multipart/mixed with a part whose"
                    " X-Experience-API-Hash is its sha2",
                )
        signed = any(is_signature(item) for item in attachments)
        result.append(unsigned(statement) if signed else statement)
    extra = sorted(set(parts) - declared)
    if extra:
        raise XapiValidationError(
            "X-Experience-API-Hash",
            f"{len(extra)} part(s) of the request are the content of no attachment of its"
            " statements (a part's hash must be the sha2 of one of them)",
        )
    return result


def _check_signature(
    attachment: Mapping[str, Any], jws: bytes | None, statement: Mapping[str, Any], where: str
) -> None:
    media_type = attachment["contentType"].partition(";")[0].strip().lower()
    if media_type != SIGNATURE_TYPE:
        raise XapiValidationError(
            f"{where}.contentType", f"a signature's content type must be {SIGNATURE_TYPE}"
        )
    if jws is None:
        raise XapiValidationError(
            f"{where}.sha2", "the signature (a JWS) must come as a part of the request"
        )
    check_signature(jws, statement, prop=where)


def _at(index: int, count: int, prop: str) -> str:
    return f"[{index}].{prop}" if count > 1 else prop
