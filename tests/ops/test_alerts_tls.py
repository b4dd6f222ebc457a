"""E-mail alerts over STARTTLS and implicit TLS, against a real local aiosmtpd server with a throwaway CA.

The certificates are made at test time with the ``openssl`` command into a temporary folder. A relay in
front of the server keeps every byte the client sends, so the tests can show that no password (in any
of the forms SMTP AUTH sends it) crosses the wire before TLS is up.
"""

from __future__ import annotations

import base64
import logging
import shutil
import socket
import subprocess
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

if shutil.which("openssl") is None:
    pytest.skip("the `openssl` command is needed to make the test certificates", allow_module_level=True)

from opskit import FeedServer, KeywordModel, SmtpSink

from batch.runner import run_source
from batch.stages import classify_pending
from config.sources import parse_config
from ops.alerts import Digest, FlaggedItem, deliver
from ops.senders import DeliveryError, send_email, smtp_tls_mode
from store.db import reader

USER = "monitor"
PASSWORD = "tls-Pa55!word"
PASSWORD_ENV = "MONITOR_TLS_TEST_SMTP_PASSWORD"
# every form in which SMTP AUTH (PLAIN, LOGIN) can carry the password
PASSWORD_FORMS = [
    PASSWORD.encode(),
    base64.b64encode(PASSWORD.encode()),
    base64.b64encode(f"\0{USER}\0{PASSWORD}".encode()),
]
BRIBE = "В ЦОНе просят взятку за справку о несудимости, без денег очередь не двигается."
NO_WATER = "Үш күн бойы ыстық су жоқ, подъездегі құбыр жарылып кетті, әкімдік жауап бермейді."


# ---- a throwaway PKI made by the openssl command -------------------------------------------------

OPENSSL_CONFIG = """\
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
subjectAltName = {sans}
"""


def openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=60)


def ec_key_args(key: Path) -> list[str]:
    return ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", str(key)]


@dataclass(frozen=True)
class ServerCert:
    """A server certificate and its private key (PEM files)."""

    cert: Path
    key: Path


@dataclass(frozen=True)
class Pki:
    """Two unrelated CAs and server certificates signed by them."""

    ca: Path  # the organisation's CA, named in smtp_ca_file
    good: ServerCert  # localhost / 127.0.0.1, signed by ``ca``
    other_ca: ServerCert  # localhost / 127.0.0.1, signed by another CA
    wrong_name: ServerCert  # mail.example.kz only, signed by ``ca``


def make_ca(folder: Path, name: str) -> tuple[Path, Path]:
    config = folder / f"{name}.cnf"
    config.write_text(OPENSSL_CONFIG.format(sans="DNS:unused"), encoding="utf-8")
    cert, key = folder / f"{name}.pem", folder / f"{name}.key"
    openssl(
        "req", "-x509", "-config", str(config), "-extensions", "ca_ext", *ec_key_args(key),
        "-subj", f"/CN={name}", "-days", "2", "-out", str(cert),
    )  # fmt: skip
    return cert, key


def make_server_cert(folder: Path, name: str, ca: tuple[Path, Path], sans: str, serial: int) -> ServerCert:
    config = folder / f"{name}.cnf"
    config.write_text(OPENSSL_CONFIG.format(sans=sans), encoding="utf-8")
    csr, cert, key = folder / f"{name}.csr", folder / f"{name}.pem", folder / f"{name}.key"
    openssl(
        "req", "-new", "-config", str(config), *ec_key_args(key), "-subj", f"/CN={name}", "-out", str(csr)
    )
    openssl(
        "x509", "-req", "-in", str(csr), "-CA", str(ca[0]), "-CAkey", str(ca[1]), "-set_serial", str(serial),
        "-days", "2", "-extfile", str(config), "-extensions", "server_ext", "-out", str(cert),
    )  # fmt: skip
    return ServerCert(cert, key)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    folder = tmp_path_factory.mktemp("pki")
    ca = make_ca(folder, "Monitor Test CA")
    stranger = make_ca(folder, "Some Other CA")
    local = "DNS:localhost, IP:127.0.0.1"
    return Pki(
        ca=ca[0],
        good=make_server_cert(folder, "localhost", ca, local, 1001),
        other_ca=make_server_cert(folder, "localhost-other", stranger, local, 1002),
        wrong_name=make_server_cert(folder, "mail.example.kz", ca, "DNS:mail.example.kz", 1003),
    )


# ---- a real SMTP server, and a relay that keeps what the client sends -----------------------------


class WireTap:
    """A TCP relay on 127.0.0.1 in front of ``upstream_port``; ``sent`` holds every byte from the client."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.sent = bytearray()
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.sockets: list[socket.socket] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.port = int(self.listener.getsockname()[1])
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            self.sockets += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, record: bool) -> None:
        try:
            while data := src.recv(65536):
                if record:
                    with self.lock:
                        self.sent += data
                dst.sendall(data)
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def wire(self) -> bytes:
        """Everything the client sent so far."""
        with self.lock:
            return bytes(self.sent)

    def __enter__(self) -> WireTap:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(5)
        self.listener.close()
        for sock in self.sockets:
            sock.close()


class SmtpServer(SmtpSink):
    """aiosmtpd on 127.0.0.1: ``tls`` is "starttls" (required), "ssl" (implicit TLS) or "none";
    ``logins`` keeps (user, whether the session was under TLS)."""

    def __init__(self, tls: str, cert: ServerCert | None = None, *, auth: bool = True) -> None:
        super().__init__(
            user=USER if auth else None,
            password=PASSWORD,
            tls=tls,
            cert=(cert.cert, cert.key) if cert is not None else None,
            # implicit TLS encrypts the whole session, which aiosmtpd's auth_require_tls does not know about
            auth_require_tls=tls == "starttls",
        )

    def login_record(self, user: str, session: Any) -> Any:
        """(user, whether the session was under TLS)."""
        return (user, session.ssl is not None)


def sample_digest() -> Digest:
    published = datetime(2026, 11, 24, 8, 30, tzinfo=UTC)
    items = [
        FlaggedItem(
            "akimat-rss", "p-101", "post", "https://news.example.kz/101", "ЦОН", BRIBE, published,
            ["corruption"], {"corruption": 0.93, "infrastructure": 0.04},
        ),
        FlaggedItem(
            "qala-telegram", "m-202", "post", None, None, NO_WATER, published,
            ["infrastructure"], {"corruption": 0.02, "infrastructure": 0.88},
        ),
    ]  # fmt: skip
    return Digest("email", "b-tls", items)


def mail_settings(port: int, **extra: Any) -> dict[str, Any]:
    return {
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_user": USER,
        "smtp_password_env": PASSWORD_ENV,
        "mail_from": "monitor@example.kz",
        "mail_to": ["analyst@example.kz"],
        **extra,
    }


def assert_no_password(wire: bytes) -> None:
    for form in PASSWORD_FORMS:
        assert form not in wire


def own_log_text(caplog: pytest.LogCaptureFixture) -> str:
    """Our log lines; aiosmtpd's own debug output (logger mail.log) is the test server's, not ours."""
    return "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("mail.log"))


@pytest.fixture(autouse=True)
def _password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)


def collect_flagged(server: FeedServer, db: Path, alerts: dict[str, Any]) -> dict[str, Any]:
    """Collect the fixture feed into ``db`` and flag it, as a scheduler batch does; the validated [alerts]."""
    config = parse_config(
        {
            "settings": {"min_delay": 0.0, "retries": 0, "respect_robots": False},
            "sources": [{"name": "city", "kind": "rss", "url": server.base + "/full/city.xml"}],
            "alerts": alerts,
        }
    )
    run = run_source(config.sources[0], config, db)
    assert run.status == "ok", run.error
    classify_pending(db, model=KeywordModel())
    return config.alerts


# ---- the tests -------------------------------------------------------------------------------------


def test_starttls_with_auth_delivers_the_digest_through_deliver(
    tmp_path: Path, pki: Pki, caplog: pytest.LogCaptureFixture
) -> None:
    db = tmp_path / "m.duckdb"
    with FeedServer() as feeds, SmtpServer("starttls", pki.good) as smtp, WireTap(smtp.port) as tap:
        alerts = collect_flagged(
            feeds, db, mail_settings(tap.port, smtp_tls="starttls", smtp_ca_file=str(pki.ca))
        )
        with caplog.at_level(logging.DEBUG):
            report = deliver(db, alerts, batch="b1")
        wire = tap.wire().lower()  # smtplib writes some verbs in lower case ("ehlo", "mail FROM:")
    assert report.sent == {"email": 12} and report.failed == {}
    assert smtp.logins == [(USER, True)]  # the password of the environment variable, under STARTTLS
    assert len(smtp.messages) == 1
    msg = smtp.messages[0]
    assert msg["Subject"] == "[monitor] 12 new flagged items"
    body = msg.get_content()
    assert "Flagged items (12):" in body
    assert "су жоқ, құбыр жарылған" in body and "просят взятку" in body
    # the clear-text part of the session ends at STARTTLS; what follows is a TLS handshake
    clear, _, rest = wire.partition(b"starttls\r\n")
    assert clear.startswith(b"ehlo ") and b"auth" not in clear and rest[:1] == b"\x16"
    assert b"auth" not in wire and b"mail from" not in wire and "взятку".encode() not in wire
    assert_no_password(tap.wire())
    assert PASSWORD not in own_log_text(caplog)


def test_implicit_tls_on_smtp_tls_ssl(pki: Pki) -> None:
    with SmtpServer("ssl", pki.good) as smtp, WireTap(smtp.port) as tap:
        alerts = mail_settings(tap.port, smtp_host="localhost", smtp_tls="ssl", smtp_ca_file=str(pki.ca))
        send_email(alerts, sample_digest())
        wire = tap.wire()
    assert [m["Subject"] for m in smtp.messages] == ["[monitor] 2 new flagged items"]
    body = smtp.messages[0].get_content()
    assert NO_WATER in body and BRIBE in body
    assert [user for user, _ in smtp.logins] == [USER]
    assert wire[:1] == b"\x16"  # the first byte is a TLS handshake record: no SMTP in the clear at all
    assert b"ehlo" not in wire.lower() and b"auth" not in wire.lower()
    assert_no_password(wire)


def test_certificate_from_another_ca_fails_without_leaking_the_password(
    tmp_path: Path, pki: Pki, caplog: pytest.LogCaptureFixture
) -> None:
    db = tmp_path / "m.duckdb"
    with FeedServer() as feeds:
        alerts = collect_flagged(feeds, db, mail_settings(1, smtp_tls="starttls", smtp_ca_file=str(pki.ca)))
    with SmtpServer("starttls", pki.other_ca) as smtp, WireTap(smtp.port) as tap:
        with caplog.at_level(logging.DEBUG):
            failed = deliver(db, {**alerts, "smtp_port": tap.port}, batch="b1")
        wire = tap.wire()
    assert failed.sent == {} and "certificate verification failed" in failed.failed["email"]
    assert "smtp_ca_file" in failed.failed["email"]  # says what to do
    assert smtp.messages == [] and smtp.logins == []
    assert_no_password(wire)
    logs = own_log_text(caplog)
    assert "certificate verification failed" in logs and "kept for the next batch" in logs
    for text in [failed.failed["email"], logs]:
        assert PASSWORD not in text and base64.b64encode(PASSWORD.encode()).decode() not in text
    with reader(db) as con:
        assert con.execute("SELECT count(*) FROM alerts_sent").fetchone()[0] == 0
    for stored in tmp_path.glob("m.duckdb*"):  # the database, its log, the sources' lock files
        for file in [stored] if stored.is_file() else [f for f in stored.rglob("*") if f.is_file()]:
            assert PASSWORD.encode() not in file.read_bytes()
    # the digest stayed pending: the next batch, against a server with the right certificate, sends it
    with SmtpServer("starttls", pki.good) as smtp:
        retried = deliver(db, {**alerts, "smtp_port": smtp.port}, batch="b2")
    assert retried.sent == {"email": 12} and len(smtp.messages) == 1


def test_system_store_does_not_trust_a_private_ca(pki: Pki) -> None:
    with (
        SmtpServer("starttls", pki.good) as smtp,
        pytest.raises(DeliveryError, match="certificate verification failed") as err,
    ):
        send_email(mail_settings(smtp.port, smtp_tls="starttls"), sample_digest())
    assert smtp.messages == [] and PASSWORD not in str(err.value)


def test_host_name_is_checked(pki: Pki) -> None:
    """A certificate from the right CA, but for another host name or address, is refused."""
    with SmtpServer("ssl", pki.wrong_name) as smtp:
        for host, mismatch in [("localhost", "Hostname mismatch"), ("127.0.0.1", "IP address mismatch")]:
            settings = mail_settings(smtp.port, smtp_host=host, smtp_tls="ssl", smtp_ca_file=str(pki.ca))
            with pytest.raises(DeliveryError) as err:
                send_email(settings, sample_digest())
            assert f"certificate verification failed ({mismatch}" in str(err.value)
            assert "smtp_host must be a name (or address) the certificate is issued for" in str(err.value)
    assert smtp.messages == [] and smtp.logins == []


def test_starttls_not_offered_sends_nothing(pki: Pki) -> None:
    # a plain server that would even accept AUTH in the clear
    with SmtpServer("none") as smtp, WireTap(smtp.port) as tap:
        settings = mail_settings(tap.port, smtp_tls="starttls", smtp_ca_file=str(pki.ca))
        with pytest.raises(DeliveryError, match="does not offer STARTTLS") as err:
            send_email(settings, sample_digest())
        wire = tap.wire()
    assert "nothing was sent" in str(err.value)
    assert smtp.messages == [] and smtp.logins == []
    assert (
        b"auth" not in wire.lower() and b"mail from" not in wire.lower() and b"starttls" not in wire.lower()
    )
    assert_no_password(wire)


def test_old_smtp_starttls_spelling_still_works(pki: Pki) -> None:
    with SmtpServer("starttls", pki.good) as smtp, WireTap(smtp.port) as tap:
        send_email(mail_settings(tap.port, smtp_starttls=True, smtp_ca_file=str(pki.ca)), sample_digest())
        wire = tap.wire()
    assert smtp.logins == [(USER, True)] and len(smtp.messages) == 1
    assert b"STARTTLS\r\n" in wire and b"auth" not in wire.lower()
    assert_no_password(wire)


def test_the_wire_tap_does_see_a_password_sent_in_the_clear() -> None:
    """The check above means something: without TLS the relay catches AUTH and the password."""
    with SmtpServer("none") as smtp, WireTap(smtp.port) as tap:
        send_email(mail_settings(tap.port, smtp_tls="none"), sample_digest())
        wire = tap.wire()
    assert smtp.logins == [(USER, False)] and len(smtp.messages) == 1
    assert b"AUTH PLAIN " + PASSWORD_FORMS[2] in wire


def test_ssl_client_against_a_starttls_port_says_so(pki: Pki) -> None:
    with SmtpServer("starttls", pki.good) as smtp:
        settings = mail_settings(smtp.port, smtp_tls="ssl", smtp_ca_file=str(pki.ca))
        with pytest.raises(DeliveryError, match="implicit TLS, usually port 465"):
            send_email(settings, sample_digest())
    assert smtp.messages == []


@pytest.mark.parametrize(
    ("settings", "mode"),
    [
        ({}, "none"),
        ({"smtp_starttls": False}, "none"),
        ({"smtp_starttls": True}, "starttls"),
        ({"smtp_tls": "ssl"}, "ssl"),
        ({"smtp_tls": "starttls", "smtp_starttls": True}, "starttls"),
        ({"smtp_tls": "none", "smtp_starttls": False}, "none"),
    ],
)
def test_tls_mode_from_either_key(settings: dict[str, Any], mode: str) -> None:
    assert smtp_tls_mode(settings) == mode


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"smtp_tls": "ssl", "smtp_starttls": True}, 'smtp_tls = "ssl" and smtp_starttls = true disagree'),
        ({"smtp_tls": "ssl", "smtp_starttls": False}, 'smtp_tls = "ssl" and smtp_starttls = false disagree'),
        ({"smtp_tls": "none", "smtp_starttls": True}, 'smtp_tls = "none" and smtp_starttls = true disagree'),
        ({"smtp_tls": "tls"}, 'smtp_tls must be "starttls", "ssl" or "none", not \'tls\''),
        ({"smtp_starttls": "yes"}, "smtp_starttls must be true or false"),
    ],
)
def test_bad_tls_settings_are_one_clear_error(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(DeliveryError) as err:
        send_email(mail_settings(1, **settings), sample_digest())
    assert message in str(err.value)


def test_default_ports(monkeypatch: pytest.MonkeyPatch, pki: Pki) -> None:
    """587 for STARTTLS, 465 for implicit TLS, 25 without TLS (the connection is refused before any I/O)."""
    import smtplib

    tried: list[tuple[str, str, int]] = []

    def refuse(kind: str) -> Any:
        def connect(host: str, port: int, **kwargs: Any) -> Any:
            tried.append((kind, host, port))
            raise ConnectionRefusedError(111, "Connection refused")

        return connect

    monkeypatch.setattr(smtplib, "SMTP", refuse("SMTP"))
    monkeypatch.setattr(smtplib, "SMTP_SSL", refuse("SMTP_SSL"))
    ca = {"smtp_ca_file": str(pki.ca)}
    for settings in [{"smtp_tls": "starttls", **ca}, {"smtp_tls": "ssl", **ca}, {"smtp_tls": "none"}]:
        alerts = {k: v for k, v in mail_settings(0, **settings).items() if k != "smtp_port"}
        with pytest.raises(DeliveryError, match="ConnectionRefusedError"):
            send_email(alerts, sample_digest())
    assert tried == [("SMTP", "127.0.0.1", 587), ("SMTP_SSL", "127.0.0.1", 465), ("SMTP", "127.0.0.1", 25)]


def test_missing_or_unusable_ca_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-ca.pem"
    not_pem = tmp_path / "notes.txt"
    not_pem.write_text("Бұл сертификат емес.\n", encoding="utf-8")
    cases = [
        (missing, f"smtp_ca_file {missing}: no such file"),
        (not_pem, f"smtp_ca_file {not_pem}: no PEM CA certificate in it"),
        (tmp_path, f"smtp_ca_file {tmp_path}: cannot read it"),
    ]
    for path, message in cases:
        with pytest.raises(DeliveryError) as err:
            send_email(mail_settings(1, smtp_tls="starttls", smtp_ca_file=str(path)), sample_digest())
        assert message in str(err.value)


def test_ca_file_without_tls_is_refused(pki: Pki) -> None:
    with pytest.raises(DeliveryError, match="smtp_ca_file is set but the connection is not encrypted"):
        send_email(mail_settings(1, smtp_ca_file=str(pki.ca)), sample_digest())


def test_config_accepts_the_new_keys_and_no_verify_switch() -> None:
    tls = {"smtp_host": "mail.example.kz", "mail_to": "a@example.kz", "smtp_tls": "ssl"}
    config = parse_config({"alerts": {**tls, "smtp_ca_file": "/etc/monitor/ca.pem"}})
    assert config.alerts["smtp_tls"] == "ssl" and config.alerts["smtp_ca_file"] == "/etc/monitor/ca.pem"
    from errors import ConfigError

    with pytest.raises(ConfigError, match="smtp_tls_verify"):
        parse_config({"alerts": {**tls, "smtp_tls_verify": False}})
