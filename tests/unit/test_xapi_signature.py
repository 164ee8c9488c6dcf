"""Signed statements (Data 2.6): JWS signatures made in the test with a key of its own, checked
as the spec says; and the parts of a request matched with its statements' attachments."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from gardien.domain.xapi.attachments import with_checked_attachments
from gardien.domain.xapi.signature import SIGNATURE_USAGE, check_signature, unsigned
from gardien.domain.xapi.validate import validate_statement
from gardien.errors import XapiValidationError
from tests.support.jws import KEY, OTHER_KEY, b64url, certificate, jws, x5c


def original() -> dict[str, Any]:
    return {
        "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee",
        "actor": {"objectType": "Agent", "mbox": "mailto:lea.signe@example.org"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en": "completed"}},
        "object": {"id": "https://learning.example.org/exam"},
        "result": {"score": {"scaled": 0.9}},
    }


def signed(signature: bytes, statement: dict[str, Any] | None = None, **attachment: Any) -> Any:
    """The statement sent: the original, with its signature as an attachment."""
    sent = dict(statement or original())
    sent["attachments"] = [
        *sent.get("attachments", []),
        {
            "usageType": SIGNATURE_USAGE,
            "display": {"en-US": "Signature"},
            "contentType": "application/octet-stream",
            "length": len(signature),
            "sha2": hashlib.sha256(signature).hexdigest(),
            **attachment,
        },
    ]
    validate_statement(sent)
    return sent


def problem(signature: bytes, sent: Any = None) -> str:
    with pytest.raises(XapiValidationError) as caught:
        check_signature(signature, sent or signed(signature))
    return caught.value.problem


@pytest.mark.parametrize("alg", ["RS256", "RS384", "RS512"])
def test_a_good_signature_passes_with_and_without_its_certificate(alg: str) -> None:
    own = certificate(KEY, "Plateforme de test")
    for header in ({}, {"x5c": x5c(own)}):
        signature = jws(original(), alg=alg, **header)
        check_signature(signature, signed(signature))


def test_the_payload_is_compared_as_statements_are() -> None:
    # The LRS may set what the signer left out (id, timestamp, stored, authority, version)...
    payload = {k: v for k, v in original().items() if k != "id"}
    signature = jws(payload)
    sent = signed(signature, {**original(), "version": "1.0.3"})
    check_signature(signature, sent)
    # ...but anything else that differs is another statement.
    other = {**original(), "result": {"score": {"scaled": 0.1}}}
    signature = jws(other)
    assert "not the statement sent" in problem(signature)


def test_other_attachments_are_part_of_what_is_signed() -> None:
    other = {
        "usageType": "http://id.tincanapi.com/attachment/certificate-of-completion",
        "display": {"fr": "Attestation"},
        "contentType": "application/pdf",
        "length": 3,
        "sha2": hashlib.sha256(b"pdf").hexdigest(),
    }
    with_other = {**original(), "attachments": [other]}
    signature = jws(with_other)
    check_signature(signature, signed(signature, with_other))
    assert "not the statement sent" in problem(jws(original()), signed(signature, with_other))
    assert unsigned(signed(signature, with_other)) == with_other
    assert "attachments" not in unsigned(signed(signature))


@pytest.mark.parametrize("alg", ["HS256", "none", "ES256", "PS256"])
def test_another_algorithm_is_refused(alg: str) -> None:
    assert problem(jws(original(), alg=alg)) == "the JWS algorithm must be RS256, RS384 or RS512"


def test_malformed_signatures_are_refused() -> None:
    good = jws(original())
    head, body, tail = good.split(b".")
    cases = {
        b"not a jws": "compact serialization",
        b"a.b.c.d": "compact serialization",
        b"\xff.a.b": "other than ASCII",
        head + b".!!!." + tail: "payload is not base64url",
        head + b"." + b64url(b"{'not': json}").encode() + b"." + tail: "payload is not valid JSON",
        b64url(b"[1]").encode() + b"." + body + b"." + tail: "header is not a JSON object",
        head + b"." + body + b".": "has no signature",
    }
    for signature, expected in cases.items():
        assert expected in problem(signature, signed(good))


def test_a_payload_that_is_no_statement_is_refused() -> None:
    # The suite's "breakJson": the statement serialised, with a quote changed, signed as text.
    broken = orjson.dumps(original()).decode().replace('"', "'", 1).encode()
    assert problem(jws(broken)) == "the JWS payload is not valid JSON"
    assert "is not valid (verb" in problem(jws({**original(), "verb": {}}))


def test_with_a_certificate_the_signature_must_verify() -> None:
    own = certificate(KEY, "Plateforme de test")
    forged = jws(original(), key=OTHER_KEY, x5c=x5c(own))
    assert problem(forged) == "the JWS signature does not verify with its certificate"
    head, body, _ = jws(original(), x5c=x5c(own)).split(b".")
    another = jws({**original(), "result": {"score": {"scaled": 0.1}}}, x5c=x5c(own))
    assert "does not verify" in problem(head + b"." + body + b"." + another.split(b".")[2])
    assert "x5c holds" in problem(jws(original(), x5c=["not base64!"]))
    assert "non-empty array" in problem(jws(original(), x5c=[]))


def test_a_certificate_chain_must_hold_together() -> None:
    authority = certificate(OTHER_KEY, "Autorité de test")
    leaf = certificate(KEY, "Plateforme de test", issuer_key=OTHER_KEY, issuer="Autorité de test")
    check_signature(*_sent(jws(original(), x5c=x5c(leaf, authority))))
    stranger = certificate(rsa.generate_private_key(public_exponent=65537, key_size=2048), "X")
    broken = jws(original(), x5c=x5c(leaf, stranger))
    assert "not issued by the next one" in problem(broken)


def test_unknown_critical_extensions_are_refused() -> None:
    assert "critical extensions" in problem(jws(original(), crit=["exp"], exp=1))


def _sent(signature: bytes) -> tuple[bytes, Any]:
    return signature, signed(signature)


# --- the parts of a request and the statements' attachments ----------------------------------


def attachment(content: bytes, **extra: Any) -> dict[str, Any]:
    return {
        "usageType": "http://id.tincanapi.com/attachment/certificate-of-completion",
        "display": {"fr": "Attestation"},
        "contentType": "application/pdf",
        "length": len(content),
        "sha2": hashlib.sha256(content).hexdigest(),
        **extra,
    }


def test_every_attachment_without_file_url_needs_its_part() -> None:
    with_part = {**original(), "attachments": [attachment(b"pdf")]}
    parts = {hashlib.sha256(b"pdf").hexdigest(): b"pdf"}
    assert with_checked_attachments([with_part], parts) == [with_part]
    with pytest.raises(XapiValidationError) as caught:
        with_checked_attachments([original(), with_part], {})
    assert caught.value.prop == "[1].attachments[0].sha2"
    by_url = {**original(), "attachments": [attachment(b"x", fileUrl="https://example.org/x")]}
    assert with_checked_attachments([by_url], {}) == [by_url]


def test_a_part_no_attachment_declares_is_refused() -> None:
    extra = {hashlib.sha256(b"extra").hexdigest(): b"extra"}
    with pytest.raises(XapiValidationError) as caught:
        with_checked_attachments([original()], extra)
    assert caught.value.prop == "X-Experience-API-Hash"


def test_a_signature_is_checked_and_not_kept() -> None:
    signature = jws(original())
    sent = signed(signature)
    parts = {hashlib.sha256(signature).hexdigest(): signature}
    assert with_checked_attachments([sent], parts) == [original()]
    with pytest.raises(XapiValidationError) as caught:
        with_checked_attachments([sent], {})
    assert "must come as a part" in caught.value.problem
    text = signed(signature, contentType="text/plain; charset=ascii")
    with pytest.raises(XapiValidationError) as caught:
        with_checked_attachments([text], parts)
    assert caught.value.prop == "attachments[0].contentType"
    # The JWS of another statement, sent as this one's signature.
    other = jws({**original(), "verb": {"id": "http://adlnet.gov/expapi/verbs/failed"}})
    with pytest.raises(XapiValidationError) as caught:
        with_checked_attachments([signed(other)], {hashlib.sha256(other).hexdigest(): other})
    assert "not the statement sent" in caught.value.problem
