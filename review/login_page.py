"""The review page's login: the limits on failed attempts (review.auth.LoginThrottle) and on
password checks at once, then the check itself (review.auth.authenticate)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, redirect, render_template, request, session, url_for

from review import auth
from review.dblock import ReadWriteLock

log = logging.getLogger(__name__)

# Password checks at once: scrypt takes about 32 MB and 0.1-0.2 s of a core each (120 logins with
# unknown names at once took the page from 1.38 to 2.78 GB); the others wait up to CHECK_WAIT seconds,
# then are told to try again (503).
PASSWORD_CHECKS = 3
CHECK_WAIT = 5.0


def install(app: Flask, db_path: Path, db_lock: ReadWriteLock, *, wait: Callable[[], float]) -> None:
    """Put /login on ``app``: the database at ``db_path`` read under ``db_lock``, a batch's lock on it
    waited for up to ``wait()`` seconds."""
    failures = auth.LoginThrottle()
    checks = auth.CheckTurns(PASSWORD_CHECKS)  # held around the password check alone

    @app.route("/login", methods=["GET", "POST"])
    def login() -> Any:
        error, username = None, ""
        if request.method == "POST":
            username = request.form.get("username", "").strip()
            password = request.form.get("password", "")
            # Reserved before the password is checked: guesses sent side by side all passed a check
            # made before any of them failed.
            attempt = failures.reserve(username, request.remote_addr)
            if isinstance(attempt, auth.Refused):
                log.warning("login for %r from %s refused: too many failures", username, request.remote_addr)
                if attempt is auth.Refused.IN_FLIGHT:  # other logins with the name are being checked
                    message = "Other logins with this name are being checked; try again in a moment."
                    page = render_template("login.html", error=message, username=username)
                    return page, 429, {"Retry-After": "5"}
                message = "Too many failed attempts; wait a few minutes and try again."
                return render_template("login.html", error=message, username=username), 429
            try:
                epoch = auth.authenticate(
                    db_path,
                    username,
                    password,
                    lock=db_lock.reading(),
                    wait=wait(),
                    turn=checks.within(CHECK_WAIT),
                )
            except auth.TooManyChecks:
                failures.settle(attempt, ok=None)  # not checked: neither a failure nor a success
                log.warning(
                    "login for %r from %s refused: too many logins at once", username, request.remote_addr
                )
                message = "Too many logins at this moment; try again in a few seconds."
                page = render_template("login.html", error=message, username=username)
                return page, 503, {"Retry-After": "5"}
            except BaseException:
                failures.settle(attempt, ok=None)  # a busy database is no wrong password
                raise
            failures.settle(attempt, ok=epoch is not None)
            if epoch is not None:
                session.clear()  # a fresh session on login: no fixation
                session.permanent = True
                session.update(user=username, epoch=epoch, csrf=auth.new_csrf_token())
                log.info("reviewer %s logged in", username)
                return redirect(auth.safe_next(request.args.get("next"), url_for("index")))
            log.warning("failed login for %r from %s", username, request.remote_addr)
            error = "Wrong username or password."
        # A refused login keeps the name typed (never the password).
        return render_template("login.html", error=error, username=username), (401 if error else 200)
