"""A local PostgreSQL that speaks TLS only, with a certificate from a CA made for the test, for
checking the settings a stack renders against a real server (test_k8s_database_tls.py).

The server is initdb'd and started on a TCP port of localhost, `ssl=on`, accepting only
`hostssl` connections with a password (scram-sha-256); the admin connects over its unix socket.
pgserver's PostgreSQL is built without SSL, so this takes a distribution's build (Debian's
`postgresql` package: /usr/lib/postgresql/<version>/bin) or the folder in CROWDSOURCE_PG_BIN.
"""

from __future__ import annotations

import datetime
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

# initdb and postgres refuse to run as root; pgserver runs them as this user then.
SERVER_USER = "pgserver"


_CA_KEY_USAGE = x509.KeyUsage(
    digital_signature=True,
    key_cert_sign=True,
    crl_sign=True,
    content_commitment=False,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    encipher_only=False,
    decipher_only=False,
)


@dataclass(frozen=True)
class Authority:
    """A certificate authority: its certificate (PEM) and the means to sign with it."""

    pem: str
    key: ec.EllipticCurvePrivateKey
    name: x509.Name


def make_authority(common_name: str) -> Authority:
    """A self-signed CA."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_CA_KEY_USAGE, critical=True)
        .sign(key, hashes.SHA256())
    )
    return Authority(cert.public_bytes(serialization.Encoding.PEM).decode(), key, name)


def server_certificate(ca: Authority, host: str) -> tuple[bytes, bytes]:
    """(certificate PEM, key PEM) for `host`, signed by `ca`; the name is a DNS SAN."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
        .issuer_name(ca.name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .sign(ca.key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


@dataclass(frozen=True)
class TlsServer:
    port: int
    admin_url: str  # over the unix socket, as the superuser postgres


def postgres_with_ssl() -> Path | None:
    """A folder holding initdb and postgres built with SSL support, or None."""
    given = os.environ.get("CROWDSOURCE_PG_BIN")
    candidates = [Path(given)] if given else []
    candidates += sorted(
        Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name), reverse=True
    )
    found = shutil.which("postgres")
    if found:
        candidates.append(Path(found).resolve().parent)
    for folder in candidates:
        if (folder / "initdb").exists() and (folder / "postgres").exists():
            return folder
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run_as_server_user() -> dict[str, str]:
    if os.geteuid() != 0:
        return {}
    try:
        pwd.getpwnam(SERVER_USER)
    except KeyError:  # pgserver makes it on its first start; this test may come first
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
             SERVER_USER],
            check=True, capture_output=True,
        )  # fmt: skip
    return {"user": SERVER_USER}


@contextmanager
def tls_postgres(bin_dir: Path, ca: Authority, host: str = "localhost") -> Iterator[TlsServer]:
    """A running PostgreSQL (from `bin_dir`) with TLS on, its certificate for `host` signed
    by `ca`."""
    # Its own folder under the system's temp dir, traversable by SERVER_USER.
    root = Path(tempfile.mkdtemp(prefix="crowdsource-tls-pg-"))
    root.chmod(0o755)
    data, sockets = root / "data", root / "sock"
    cert_pem, key_pem = server_certificate(ca, host)
    process: subprocess.Popen[bytes] | None = None
    try:
        sockets.mkdir()
        (root / "server.crt").write_bytes(cert_pem)
        (root / "server.key").write_bytes(key_pem)
        (root / "server.key").chmod(0o600)
        if os.geteuid() == 0:
            for path in (root, sockets, root / "server.crt", root / "server.key"):
                shutil.chown(path, SERVER_USER, SERVER_USER)
        subprocess.run(
            [
                str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres",
                "--auth-local=trust", "--auth-host=reject", "--encoding=utf8",
            ],
            check=True, capture_output=True, **_run_as_server_user(),
        )  # fmt: skip
        # Password logins over TLS only; the admin's unix socket trusts (the test's setup).
        (data / "pg_hba.conf").write_text(
            "local all all trust\n"
            "hostssl all all 127.0.0.1/32 scram-sha-256\n"
            "hostssl all all ::1/128 scram-sha-256\n"
        )
        port = _free_port()
        log = (root / "server.log").open("wb")
        process = subprocess.Popen(
            [
                str(bin_dir / "postgres"), "-D", str(data), "-p", str(port),
                "-k", str(sockets), "-c", "listen_addresses=localhost",
                "-c", "ssl=on", "-c", f"ssl_cert_file={root / 'server.crt'}",
                "-c", f"ssl_key_file={root / 'server.key'}",
            ],
            stdout=log, stderr=log, **_run_as_server_user(),
        )  # fmt: skip
        admin_url = psycopg.conninfo.make_conninfo(
            host=str(sockets), port=port, user="postgres", dbname="postgres"
        )
        deadline = time.monotonic() + 20
        while True:
            try:
                with psycopg.connect(admin_url, connect_timeout=2):
                    break
            except psycopg.OperationalError:
                if time.monotonic() > deadline or process.poll() is not None:
                    log.close()
                    raise RuntimeError((root / "server.log").read_text()) from None
                time.sleep(0.1)
        yield TlsServer(port, admin_url)
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=20)
        shutil.rmtree(root, ignore_errors=True)
