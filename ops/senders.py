"""Delivery of one alert digest by each channel: a JSON POST to a webhook, or an e-mail over SMTP
(STARTTLS, TLS or plain, with the operator's CA if given). Every wait is bounded by a socket timeout;
ops/alerts.py bounds the whole exchange and decides what was sent. Secrets (the webhook URL, the SMTP
password) never reach a log line or an error.
"""

from __future__ import annotations

import base64
import json
import os
import smtplib
import ssl
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from collectors.http_failures import connection_failure
from collectors.secrets import remember
from config.environment import smtp_password_variable, webhook_variable
from config.sources import tls_mode

if TYPE_CHECKING:
    from ops.alert_digest import Digest


class DeliveryError(Exception):
    """A channel could not deliver; the message is already free of secrets."""


def webhook_url(alerts: dict[str, Any]) -> str:
    """The webhook URL: from the variable named by webhook_url_env, else webhook_url
    (``config.environment.webhook_variable``, which `schedule` and `status` check the same way)."""
    variable = webhook_variable(alerts)
    if variable is None:
        return str(alerts["webhook_url"])
    url = variable.resolve(os.environ)
    if url is None:  # the sentence `status` says, which shows no value that may be the secret itself
        raise DeliveryError(variable.problem(os.environ) or "webhook_url_env: no URL")
    remember(url)  # its path may be its secret (ops.logs scrubs it)
    return url


def send_webhook(alerts: dict[str, Any], digest: Digest) -> None:
    """POST the digest as JSON; DeliveryError unless the receiver answers 2xx."""
    import requests

    url = webhook_url(alerts)
    body = json.dumps(digest.payload(int(alerts.get("max_items", 50))), ensure_ascii=False).encode("utf-8")
    where = f"webhook at {urlsplit(url).hostname}"
    try:
        # Not a redirect: requests would turn the POST into a GET without the digest (a 302 answered
        # 200 and the digest counted as sent), or post it to whatever host a 307 names. Nor the
        # answer's body, which is not needed and could be gigabytes.
        resp = requests.post(
            url,
            data=body,
            headers={"Content-Type": "application/json; charset=utf-8"},
            timeout=15,
            allow_redirects=False,
            stream=True,
        )
        resp.close()
    except requests.RequestException as exc:
        # In words, never the exception's text: it quotes the URL, percent-encoded where the
        # configured one is not, so no redaction of the configured form would catch a token in it.
        raise DeliveryError(f"{where}: {connection_failure(exc)}") from None
    if resp.is_redirect:
        raise DeliveryError(
            f"{where} answered HTTP {resp.status_code}, a redirect; not followed: "
            "set webhook_url to the address it redirects to"
        )
    if not 200 <= resp.status_code < 300:
        raise DeliveryError(f"{where} answered HTTP {resp.status_code}")


# smtp_tls mode -> default port: 587 submission (STARTTLS), 465 SMTPS (implicit TLS), 25 plain SMTP
SMTP_TLS_PORTS = {"starttls": 587, "ssl": 465, "none": 25}


def smtp_tls_mode(alerts: dict[str, Any]) -> str:
    """How the SMTP connection is secured: "starttls", "ssl" or "none" (smtp_tls, or the older smtp_starttls)."""
    try:
        return tls_mode(alerts)
    except ValueError as exc:
        raise DeliveryError(str(exc)) from None


def smtp_tls_context(alerts: dict[str, Any]) -> ssl.SSLContext:
    """A verifying TLS context: the CA in smtp_ca_file if set, else the system store; host names are checked."""
    ca_file = alerts.get("smtp_ca_file")
    if not ca_file:
        return ssl.create_default_context()
    path = Path(str(ca_file)).expanduser()
    try:
        return ssl.create_default_context(cafile=str(path))
    except ssl.SSLError:
        raise DeliveryError(f"[alerts] smtp_ca_file {path}: no PEM CA certificate in it") from None
    except FileNotFoundError:
        raise DeliveryError(f"[alerts] smtp_ca_file {path}: no such file") from None
    except OSError as exc:
        raise DeliveryError(f"[alerts] smtp_ca_file {path}: cannot read it ({exc.strerror})") from None


def _smtp_password(alerts: dict[str, Any]) -> str | None:
    """The password of smtp_user, as it is (``config.environment.smtp_password_variable``); None
    without smtp_user."""
    variable = smtp_password_variable(alerts)
    if variable is None:
        return None
    password = variable.resolve(os.environ)
    if password is None:  # the sentence `status` says, which shows no value that may be the password
        raise DeliveryError(variable.problem(os.environ) or "smtp_password_env: no password")
    remember(password)  # no log line of this process shows it (ops.logs)
    return password


def send_email(alerts: dict[str, Any], digest: Digest) -> None:
    """Send the digest as one plain-text e-mail; DeliveryError on any SMTP or TLS failure."""
    recipients = alerts["mail_to"]
    if isinstance(recipients, str):
        recipients = [r.strip() for r in recipients.split(",") if r.strip()]
    msg = EmailMessage()
    msg["Subject"] = digest.subject()
    msg["From"] = alerts.get("mail_from", "monitor@localhost")
    msg["To"] = ", ".join(recipients)
    msg.set_content(digest.text(int(alerts.get("max_items", 50))), charset="utf-8")
    host = str(alerts["smtp_host"])
    mode = smtp_tls_mode(alerts)
    port = int(alerts.get("smtp_port", SMTP_TLS_PORTS[mode]))
    if mode == "none" and alerts.get("smtp_ca_file"):
        raise DeliveryError(
            '[alerts] smtp_ca_file is set but the connection is not encrypted: set smtp_tls = "starttls" or "ssl"'
        )
    context = smtp_tls_context(alerts) if mode != "none" else None
    password = _smtp_password(alerts)
    where = f"e-mail via {host}:{port}"
    if password is not None and not (password.isascii() and str(alerts["smtp_user"]).isascii()):
        # smtplib sends AUTH as ASCII only (a bare UnicodeEncodeError, naming the character, from deep
        # in login): said before connecting, without the value.
        who = "smtp_user" if password.isascii() else "the password in smtp_password_env"
        raise DeliveryError(
            f"{where}: {who} holds a non-ASCII character (a Cyrillic letter?), which SMTP login (smtplib) "
            "cannot send; use an ASCII one; nothing was sent"
        )
    try:
        if mode == "ssl":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=20, context=context)
        else:
            smtp = smtplib.SMTP(host, port, timeout=20)
        with smtp:
            if mode == "starttls":
                smtp.ehlo()
                if not smtp.has_extn("starttls"):  # never fall back to a plain connection
                    raise DeliveryError(
                        f"{where}: the server does not offer STARTTLS (smtp_tls = starttls); nothing was sent"
                    )
                smtp.starttls(context=context)
            # smtplib logs in only after the handshake above, and AUTH goes over the encrypted channel
            if password is not None:
                smtp.login(str(alerts["smtp_user"]), password)
            smtp.send_message(msg)
    except ssl.SSLCertVerificationError as exc:
        if exc.verify_code in (62, 64):  # X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH
            hint = "smtp_host must be a name (or address) the certificate is issued for"
        else:
            hint = "if the server's certificate comes from your own CA, name its PEM file in smtp_ca_file"
        raise DeliveryError(
            f"{where}: certificate verification failed ({exc.verify_message}); {hint}"
        ) from None
    except (OSError, smtplib.SMTPException) as exc:
        detail = _without_password(str(exc), str(alerts.get("smtp_user", "")), password)
        hint = ""
        if mode == "ssl" and isinstance(exc, ssl.SSLError):
            hint = " (smtp_tls = ssl expects implicit TLS, usually port 465; port 587 speaks STARTTLS)"
        raise DeliveryError(f"{where}: {type(exc).__name__}: {detail}{hint}") from None


def _without_password(text: str, user: str, password: str | None) -> str:
    """``text`` without the password, plain or as AUTH PLAIN or LOGIN carry it (base64), which a
    server's error may echo."""
    if not password:
        return text
    for secret in (
        password,
        base64.b64encode(f"\0{user}\0{password}".encode()).decode(),
        base64.b64encode(password.encode()).decode(),
    ):
        text = text.replace(secret, "***")
    return text


SENDERS = {"webhook": send_webhook, "email": send_email}
