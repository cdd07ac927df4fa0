"""A real Mosquitto broker for tests: a free loopback port, a config in tmp, persistence on, optional
password file (mosquitto_passwd) and TLS (certificates made here with `cryptography`); it can be
killed and restarted on the same port. Tests skip with a reason when mosquitto is not installed.

Started as root, mosquitto drops to user `mosquitto`, which cannot read pytest's 0700 tmp folders:
the config says `user root` (mosquitto 2.0 keeps root then; measured), so keys stay private to root.
"""
from __future__ import annotations

import datetime as dt
import ipaddress
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

MOSQUITTO = shutil.which("mosquitto") or ("/usr/sbin/mosquitto" if os.path.exists("/usr/sbin/mosquitto") else None)
MOSQUITTO_PASSWD = shutil.which("mosquitto_passwd")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


@dataclass
class TlsFiles:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path


def make_certs(folder: Path, server_names: tuple[str, ...] = ("localhost", "127.0.0.1")) -> TlsFiles:
    """A CA, a server certificate for `server_names` and a client certificate, all signed by the CA.
    (`cryptography` comes with keyring's SecretStorage on Linux; skip where it is absent.)"""
    pytest.importorskip("cryptography", reason="the cryptography package makes the test certificates")
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    folder.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.timezone.utc)

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    def write(path: Path, key, cert) -> None:
        path.with_suffix(".key").write_bytes(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()))
        path.with_suffix(".crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (x509.CertificateBuilder().subject_name(name("Twinscape test CA")).issuer_name(name("Twinscape test CA"))
               .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=2))
               .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
               .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True)
               .sign(ca_key, hashes.SHA256()))
    write(folder / "ca", ca_key, ca_cert)

    def leaf(stem: str, cn: str, sans: list, usage) -> None:
        key = ec.generate_private_key(ec.SECP256R1())
        builder = (x509.CertificateBuilder().subject_name(name(cn)).issuer_name(ca_cert.subject)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=2))
                   .add_extension(x509.ExtendedKeyUsage([usage]), critical=False))
        if sans:
            builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
        write(folder / stem, key, builder.sign(ca_key, hashes.SHA256()))

    sans = []
    for n in server_names:
        try:
            sans.append(x509.IPAddress(ipaddress.ip_address(n)))
        except ValueError:
            sans.append(x509.DNSName(n))
    leaf("server", server_names[0], sans, ExtendedKeyUsageOID.SERVER_AUTH)
    leaf("client", "twinscape-client", [], ExtendedKeyUsageOID.CLIENT_AUTH)
    return TlsFiles(folder / "ca.crt", folder / "server.crt", folder / "server.key",
                    folder / "client.crt", folder / "client.key")


class Broker:
    """One mosquitto process on 127.0.0.1:port; `kill()` / `restart()` keep the port and the persistence folder."""

    def __init__(self, folder: Path, *, users: dict[str, str] | None = None, tls: TlsFiles | None = None,
                 require_certificate: bool = False) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.tls = tls
        self.proc: subprocess.Popen | None = None
        lines = [f"listener {self.port} 127.0.0.1", "user root", "persistence true",
                 f"persistence_location {folder}/", "autosave_interval 1", "max_queued_messages 1000000",
                 "max_inflight_messages 0", f"log_dest file {folder}/mosquitto.log",
                 "log_type error", "log_type warning", "log_type notice"]
        if users:
            passwd = folder / "passwd"
            for i, (user, password) in enumerate(users.items()):
                args = [MOSQUITTO_PASSWD, "-b"] + (["-c"] if i == 0 else []) + [str(passwd), user, password]
                subprocess.run(args, check=True, capture_output=True, timeout=10)
            lines += ["allow_anonymous false", f"password_file {passwd}"]
        else:
            lines.append("allow_anonymous true")
        if tls:
            lines += [f"cafile {tls.ca}", f"certfile {tls.server_cert}", f"keyfile {tls.server_key}"]
            if require_certificate:
                lines += ["require_certificate true"]
        self.config = folder / "mosquitto.conf"
        self._lines = lines
        self._write_config()
        self._started_once = False

    def _write_config(self) -> None:
        self._lines[0] = f"listener {self.port} 127.0.0.1"
        self.config.write_text("\n".join(self._lines) + "\n")

    def url(self, topic: str = "", scheme: str | None = None) -> str:
        scheme = scheme or ("mqtts" if self.tls else "mqtt")
        return f"{scheme}://127.0.0.1:{self.port}/{topic}"

    def start(self, timeout: float = 10.0) -> None:
        """Start on this broker's port; a first start whose free port was taken meanwhile (xdist) moves on."""
        for attempt in range(3):
            try:
                self._start(timeout)
                self._started_once = True
                return
            except RuntimeError:
                if self._started_once or attempt == 2:
                    raise
                self.port = free_port()
                self._write_config()

    def _start(self, timeout: float) -> None:
        self.proc = subprocess.Popen([MOSQUITTO, "-c", str(self.config)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
                log = (self.folder / "mosquitto.log")
                raise RuntimeError(f"mosquitto exited: {err} {log.read_text() if log.exists() else ''}")
            if _port_open(self.port):
                return
            time.sleep(0.02)
        raise RuntimeError("mosquitto did not start listening")

    def kill(self, sig: int = signal.SIGTERM) -> None:
        """Stop the broker (SIGTERM saves the persistence file; SIGKILL loses what was not yet autosaved)."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        if self.proc and self.proc.stderr:
            self.proc.stderr.close()
        self.proc = None

    def restart(self) -> None:
        self.kill()
        self.start()

    def log(self) -> str:
        path = self.folder / "mosquitto.log"
        return path.read_text(errors="replace") if path.exists() else ""


def need_mosquitto() -> None:
    if MOSQUITTO is None:
        pytest.skip("mosquitto is not installed (Debian: apt-get install mosquitto mosquitto-clients)")


@pytest.fixture
def broker(tmp_path: Path):
    """A running anonymous broker; stopped at test end."""
    need_mosquitto()
    b = Broker(tmp_path / "broker")
    b.start()
    yield b
    b.kill()


@pytest.fixture
def broker_factory(tmp_path: Path):
    """Make brokers with options (users=..., tls=...); all are stopped at test end."""
    need_mosquitto()
    made: list[Broker] = []

    def make(name: str = "b", **kwargs) -> Broker:
        if kwargs.get("users") and MOSQUITTO_PASSWD is None:
            pytest.skip("mosquitto_passwd is not installed")
        b = Broker(tmp_path / name, **kwargs)
        b.start()
        made.append(b)
        return b

    yield make
    for b in made:
        b.kill()
