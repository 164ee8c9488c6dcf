"""DKIM signing (dkimpy), when the settings name a domain, a selector and a private key.

Signatures are rsa-sha256 with relaxed/relaxed canonicalisation, and cover the headers a
recipient judges the message by (:data:`SIGNED_HEADERS`). RFC 8058 section 4 requires
``List-Unsubscribe`` and ``List-Unsubscribe-Post`` to be covered: they are listed whether or not
a message has them, so that nobody can add them to a message signed without them (a header
named in ``h=`` but absent is signed as absent).

The public key goes in DNS as a TXT record at ``<selector>._domainkey.<domain>``:
``v=DKIM1; k=rsa; p=<base64 of the DER public key>`` (see ``docs/mail.md``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import dkim  # type: ignore[import-untyped]
from dkim.crypto import UnparsableKeyError, parse_pem_private_key  # type: ignore[import-untyped]

from gardien.errors import ConfigurationError
from gardien.settings import Settings

SIGNED_HEADERS: tuple[bytes, ...] = (
    b"from",
    b"to",
    b"subject",
    b"date",
    b"message-id",
    b"mime-version",
    b"content-type",
    b"content-transfer-encoding",
    b"list-unsubscribe",
    b"list-unsubscribe-post",
)
CANONICALISATION = (b"relaxed", b"relaxed")
ALGORITHM = b"rsa-sha256"


@dataclass(frozen=True)
class DkimSigner:
    """Signs messages for ``domain`` with the key published under ``selector``."""

    domain: str
    selector: str
    private_key: bytes = field(repr=False)

    def __post_init__(self) -> None:
        try:
            parse_pem_private_key(self.private_key)
        except (UnparsableKeyError, ValueError) as exc:
            raise ConfigurationError(f"the DKIM private key is not a PEM RSA key: {exc}") from None

    def signature(self, message: bytes) -> bytes:
        """The ``DKIM-Signature:`` header line(s) for ``message`` (CRLF line ends), with CRLF."""
        header = dkim.sign(
            message,
            self.selector.encode("ascii"),
            self.domain.encode("ascii"),
            self.private_key,
            canonicalize=CANONICALISATION,
            signature_algorithm=ALGORITHM,
            include_headers=list(SIGNED_HEADERS),
            linesep=b"\r\n",
        )
        if not isinstance(header, bytes) or not header:
            raise RuntimeError("dkimpy returned no signature")
        return header

    def sign(self, message: bytes) -> bytes:
        """``message`` with its ``DKIM-Signature`` header prepended."""
        return self.signature(message) + message


def signer_from_settings(settings: Settings) -> DkimSigner | None:
    """The signer the settings ask for, or None when DKIM is not configured.

    Raises ``ConfigurationError`` when the key file cannot be read or is not an RSA key, so a
    run stops before it claims any message rather than sending unsigned mail.
    """
    if not settings.dkim_enabled:
        return None
    assert settings.dkim_private_key_file is not None
    assert settings.dkim_domain is not None and settings.dkim_selector is not None
    try:
        key = settings.dkim_private_key_file.read_bytes()
    except OSError as exc:
        raise ConfigurationError(
            f"GARDIEN_DKIM_PRIVATE_KEY_FILE cannot be read: {exc.strerror}"
        ) from None
    return DkimSigner(domain=settings.dkim_domain, selector=settings.dkim_selector, private_key=key)
