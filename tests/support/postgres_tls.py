"""A private PostgreSQL server that speaks TLS only, with a CA and a certificate made for it.

The server runs from Debian's binaries (``/usr/lib/postgresql/<version>/bin``), on a free port
of 127.0.0.1, ``ssl=on`` and ``hostssl`` lines only in pg_hba.conf: a client that does not use
TLS is refused. Its certificate names ``localhost`` and ``127.0.0.1`` and is signed by a CA made
here (``cryptography``); a second CA, which signed nothing the server shows, plays the wrong
one. initdb refuses to run as root (CI runs as root): then every server command runs as the
``postgres`` system user (``runuser``), in a folder that user owns.

Without the binaries the tests that need it skip, except under ``CI=true``, where they fail.
"""

from __future__ import annotations

import contextlib
import datetime
import glob
import ipaddress
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

SERVER_USER = "postgres"  # the system user that runs the server when the tests run as root
ROLE = "gardien_tls"
DAY = datetime.timedelta(days=1)


@dataclass(frozen=True)
class Authority:
    certificate: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    def pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)


def make_authority(name: str) -> Authority:
    """A self-signed CA, valid from yesterday to next week."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - DAY)
        .not_valid_after(now + 7 * DAY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return Authority(certificate, key)


def make_server_certificate(
    authority: Authority, names: tuple[str, ...] = ("localhost", "127.0.0.1")
) -> tuple[bytes, bytes]:
    """A server certificate for ``names`` (DNS names and IP addresses), signed by
    ``authority``: (certificate PEM, unencrypted private key PEM)."""
    key = ec.generate_private_key(ec.SECP256R1())
    alternatives: list[x509.GeneralName] = []
    for name in names:
        try:
            alternatives.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            alternatives.append(x509.DNSName(name))
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .issuer_name(authority.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - DAY)
        .not_valid_after(now + 7 * DAY)
        .add_extension(x509.SubjectAlternativeName(alternatives), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(authority.key.public_key()),
            critical=False,
        )
        .sign(authority.key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return certificate.public_bytes(serialization.Encoding.PEM), key_pem


@dataclass(frozen=True)
class TlsServer:
    """A running private server: where it listens, who may sign in, which CA to trust."""

    port: int
    password: str
    ca_file: Path  # the CA that signed the server's certificate
    wrong_ca_file: Path  # a CA that signed nothing the server shows
    log_file: Path

    def url(self, database: str = "postgres", *, host: str = "localhost", query: str = "") -> str:
        """A URL for ``database`` with the server's role and password (nothing about TLS
        unless ``query`` says it)."""
        url = f"postgresql://{ROLE}:{self.password}@{host}:{self.port}/{database}"
        return url + (f"?{query}" if query else "")


def postgres_binaries() -> Path:
    """Debian's newest PostgreSQL binaries; skip without them (fail under CI=true)."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda path: int(Path(path).parts[-3]) if Path(path).parts[-3].isdigit() else 0,
    )
    if not found:
        message = "PostgreSQL's server binaries are not installed (/usr/lib/postgresql/*/bin)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " (CI must run the PostgreSQL tests)")
        pytest.skip(message)
    return Path(found[-1]).parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def tls_server() -> Iterator[TlsServer]:
    """Start a private TLS-only PostgreSQL server; stop it and remove its files on the way
    out, whatever happened meanwhile."""
    binaries = postgres_binaries()
    as_root = os.geteuid() == 0
    folder = Path(tempfile.mkdtemp(prefix="gardien-pg-tls-"))
    data = folder / "data"
    log_file = folder / "server.log"
    started = False

    def run(*command: str) -> None:
        prefix = ["runuser", "-u", SERVER_USER, "--"] if as_root else []
        result = subprocess.run(
            [*prefix, *command], capture_output=True, text=True, timeout=120, check=False
        )
        if result.returncode != 0:
            log = log_file.read_text() if log_file.exists() else ""
            raise RuntimeError(
                f"{Path(command[0]).name} failed ({result.returncode}): {result.stderr}\n{log}"
            )

    try:
        authority = make_authority("gardien test database CA")
        wrong = make_authority("gardien test unrelated CA")
        certificate, key = make_server_certificate(authority)
        password = secrets.token_urlsafe(16)
        (folder / "ca.pem").write_bytes(authority.pem())
        (folder / "wrong-ca.pem").write_bytes(wrong.pem())
        password_file = folder / "password"
        password_file.write_text(password + "\n")
        if as_root:
            shutil.chown(folder, SERVER_USER, SERVER_USER)
            shutil.chown(password_file, SERVER_USER, SERVER_USER)
        run(
            str(binaries / "initdb"),
            "-D",
            str(data),
            "-U",
            ROLE,
            "--auth=scram-sha-256",
            f"--pwfile={password_file}",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C",
        )
        # The key file must belong to the server's user and be readable by it alone.
        for name, content in (("server.crt", certificate), ("server.key", key)):
            path = data / name
            path.write_bytes(content)
            path.chmod(0o600)
            if as_root:
                shutil.chown(path, SERVER_USER, SERVER_USER)
        # TLS only: no "local" line, no "host" line, so a client without TLS is refused.
        (data / "pg_hba.conf").write_text(
            "hostssl all all 127.0.0.1/32 scram-sha-256\nhostssl all all ::1/128 scram-sha-256\n"
        )
        port = free_port()
        with (data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"\nport = {port}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{folder}'\n"
                "ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                "max_connections = 40\nshared_buffers = 16MB\n"
            )
        if as_root:
            for path in (data / "pg_hba.conf", data / "postgresql.conf"):
                shutil.chown(path, SERVER_USER, SERVER_USER)
        started = True
        run(
            str(binaries / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(log_file),
            "-w",
            "-t",
            "60",
            "start",
        )
        yield TlsServer(
            port=port,
            password=password,
            ca_file=folder / "ca.pem",
            wrong_ca_file=folder / "wrong-ca.pem",
            log_file=log_file,
        )
    finally:
        if started:
            # Stopped whatever happened; if it never started, the folder goes all the same.
            with contextlib.suppress(RuntimeError):
                run(str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)
