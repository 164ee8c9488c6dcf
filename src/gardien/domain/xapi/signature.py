"""Signed statements (xAPI 1.0.3 Data 2.6): the JWS a statement carries, checked as the spec says.

A signed statement carries a JSON Web Signature (RFC 7515, compact serialization) as an
attachment of usage type :data:`SIGNATURE_USAGE` and content type ``application/octet-stream``.
The LRS MUST refuse a malformed signature (400), and to find one it MUST, at least:

- decode the JWS and load the statement it signs, its payload;
- check that this statement is logically equivalent to the one received, less the signature
  attachment (the "statement before the signature was added"), by the Statement Comparison
  rules (``compare.py``: what the LRS sets, ``id``, ``stored``, ``authority``..., is ignored);
- if the header holds an X.509 certificate chain (``x5c``), verify the signature with the
  first certificate's key, and here also that each certificate is issued by the next;
- check the other requirements: the algorithm is ``RS256``, ``RS384`` or ``RS512``.

As the spec says, verifying against the certificate catches mistakes; it proves nobody's
identity: no certificate is trusted here, and none is checked for revocation or dates (a
JWS does not say when it was signed). Without ``x5c`` there is no key to verify with: the
other checks still apply. Plain Python and ``cryptography``: no I/O.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import re
from collections.abc import Mapping
from typing import Any

import orjson
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from gardien.domain.xapi.compare import statements_equivalent
from gardien.domain.xapi.validate import validate_statement
from gardien.errors import XapiValidationError

SIGNATURE_USAGE = "http://adlnet.gov/expapi/attachments/signature"
SIGNATURE_TYPE = "application/octet-stream"
ALGORITHMS: dict[str, type[hashes.HashAlgorithm]] = {
    "RS256": hashes.SHA256,
    "RS384": hashes.SHA384,
    "RS512": hashes.SHA512,
}
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")


def is_signature(attachment: Mapping[str, Any]) -> bool:
    """Whether a (validated) attachment object is a statement's signature."""
    return attachment.get("usageType") == SIGNATURE_USAGE


def unsigned(statement: Mapping[str, Any]) -> dict[str, Any]:
    """``statement`` as it was before its signature was added: without the signature
    attachments, and without ``attachments`` when no other remains."""
    result = dict(statement)
    others = [item for item in statement.get("attachments", ()) if not is_signature(item)]
    if others:
        result["attachments"] = others
    else:
        result.pop("attachments", None)
    return result


def check_signature(jws: bytes, statement: Mapping[str, Any], *, prop: str = "signature") -> None:
    """Raise ``XapiValidationError(prop, ...)`` unless ``jws`` is a well-formed signature of
    ``statement`` (the statement received, signature attachment included)."""
    header, payload, signature, signing_input = _decoded(jws, prop)
    algorithm = header.get("alg")
    if algorithm not in ALGORITHMS:
        raise XapiValidationError(prop, "the JWS algorithm must be RS256, RS384 or RS512")
    if "crit" in header:
        raise XapiValidationError(prop, "the JWS names critical extensions this LRS does not know")
    _check_payload(payload, statement, prop)
    chain = header.get("x5c")
    if chain is not None:
        _check_certificates(chain, signature, signing_input, ALGORITHMS[algorithm](), prop)


def _decoded(jws: bytes, prop: str) -> tuple[dict[str, Any], Any, bytes, bytes]:
    """The header, the payload (parsed JSON), the signature and the signed bytes of a JWS."""
    try:
        text = jws.decode("ascii").strip()
    except UnicodeDecodeError:
        raise XapiValidationError(prop, "not a JWS: it holds bytes other than ASCII") from None
    pieces = text.split(".")
    if len(pieces) != 3:
        raise XapiValidationError(
            prop, "not a JWS in compact serialization (header.payload.signature)"
        )
    header = _json(_base64url(pieces[0], "header", prop), "header", prop)
    if not isinstance(header, dict):
        raise XapiValidationError(prop, "the JWS header is not a JSON object")
    payload = _json(_base64url(pieces[1], "payload", prop), "payload", prop)
    signature = _base64url(pieces[2], "signature", prop)
    if not signature:
        raise XapiValidationError(prop, "the JWS has no signature")
    return header, payload, signature, f"{pieces[0]}.{pieces[1]}".encode("ascii")


def _base64url(piece: str, what: str, prop: str) -> bytes:
    if not _BASE64URL.fullmatch(piece):
        raise XapiValidationError(prop, f"the JWS {what} is not base64url")
    try:
        return base64.urlsafe_b64decode(piece + "=" * (-len(piece) % 4))
    except (binascii.Error, ValueError):
        raise XapiValidationError(prop, f"the JWS {what} is not base64url") from None


def _json(data: bytes, what: str, prop: str) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        raise XapiValidationError(prop, f"the JWS {what} is not valid JSON") from None


def _check_payload(payload: Any, statement: Mapping[str, Any], prop: str) -> None:
    try:
        validate_statement(payload)
    except XapiValidationError as error:
        raise XapiValidationError(
            prop, f"the statement the JWS signs is not valid ({error.prop}: {error.problem})"
        ) from None
    if not statements_equivalent(payload, unsigned(statement)):
        raise XapiValidationError(
            prop, "the statement the JWS signs is not the statement sent (Data 2.6)"
        )


def _check_certificates(
    chain: Any, signature: bytes, signing_input: bytes, digest: hashes.HashAlgorithm, prop: str
) -> None:
    if not isinstance(chain, list) or not chain or not all(isinstance(c, str) for c in chain):
        raise XapiValidationError(prop, "the JWS x5c must be a non-empty array of certificates")
    try:
        certificates = [
            x509.load_der_x509_certificate(base64.b64decode(item, validate=True)) for item in chain
        ]
    except (binascii.Error, ValueError):
        raise XapiValidationError(
            prop, "the JWS x5c holds something other than a certificate"
        ) from None
    key = certificates[0].public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise XapiValidationError(prop, "the JWS certificate does not hold an RSA key")
    try:
        key.verify(signature, signing_input, padding.PKCS1v15(), digest)
    except InvalidSignature:
        raise XapiValidationError(
            prop, "the JWS signature does not verify with its certificate"
        ) from None
    for certificate, issuer in itertools.pairwise(certificates):
        try:
            certificate.verify_directly_issued_by(issuer)
        except (InvalidSignature, ValueError, TypeError):
            raise XapiValidationError(
                prop, "a certificate of the JWS x5c is not issued by the next one"
            ) from None
