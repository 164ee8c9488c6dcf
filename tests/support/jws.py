"""JSON Web Signatures for the tests of signed statements (xAPI Data 2.6), made here with
keys generated for the test run: compact serialization, RS256/384/512 (or HS256, to be
refused), with or without an X.509 certificate chain (``x5c``)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from cryptography import x509
from cryptography.hazmat.primitives import hashes, hmac, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
DIGESTS = {"RS256": hashes.SHA256(), "RS384": hashes.SHA384(), "RS512": hashes.SHA512()}


def b64url(data: bytes) -> str:
    """base64url without padding, as JWS writes it."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def certificate(key: rsa.RSAPrivateKey, name: str, issuer_key: Any = None, issuer: str = "") -> Any:
    """An X.509 certificate of ``key`` named ``name``, self-signed unless an issuer is given."""
    now = datetime(2026, 1, 1, tzinfo=UTC)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    issuer_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer or name)])
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=365))
        .sign(issuer_key or key, hashes.SHA256())
    )


def x5c(*certificates: Any) -> list[str]:
    """The ``x5c`` header of a chain: each certificate's DER in standard base64."""
    return [
        base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode() for c in certificates
    ]


def jws(payload: Any, *, alg: str = "RS256", key: Any = KEY, **header: Any) -> bytes:
    """``payload`` (JSON data, or bytes as they are) signed in compact serialization."""
    head = b64url(orjson.dumps({"alg": alg, **header}))
    body = b64url(payload if isinstance(payload, bytes) else orjson.dumps(payload))
    signing_input = f"{head}.{body}".encode()
    if alg in DIGESTS:
        signature = key.sign(signing_input, padding.PKCS1v15(), DIGESTS[alg])
    else:  # HS256 with some secret, as a client using another algorithm would
        mac = hmac.HMAC(b"a shared secret", hashes.SHA256())
        mac.update(signing_input)
        signature = mac.finalize()
    return f"{head}.{body}.{b64url(signature)}".encode()
