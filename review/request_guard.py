"""What every request of the review page passes through: the guard before it (a logged-in reviewer
whose session has not ended, the form's CSRF token), the security headers after it, and the pages its
errors give (a busy database, a request refused or not found)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import duckdb
from flask import Flask, Response, abort, flash, g, redirect, render_template, request, session, url_for
from werkzeug.exceptions import SecurityError

from errors import StoreError, StoreLocked
from review import auth
from review.stale_text import SHOWN_FIELDS

log = logging.getLogger(__name__)

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# The shown_* fields: what the page showed of the item (review.stale_text), kept for "Save again".
DECISION_FIELDS = (
    *("source", "id", "status", "note", "forwarded_to", "duplicates", "seen", "seen_upto"),
    *SHOWN_FIELDS,
)
FORWARDED = {"X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "Forwarded"}
ANSWER_FIELDS = ("source", "id", "label", "answer", "seen", "shown_hash", "next")  # a yes or no


def install(app: Flask, db: Callable[[], duckdb.DuckDBPyConnection]) -> None:
    """Put the guard, the headers and the error pages on ``app``; ``db()`` is the request's connection."""

    @app.errorhandler(StoreError)
    def store_busy(exc: StoreError) -> tuple[str, int]:
        log.warning("review page: %s", exc)
        # Only a lock is "busy"; a folder not writable, a full disk or a damaged file is said as such
        # (review: every error read "busy", and a reviewer pressed "Save again" for ever)
        problem = None if isinstance(exc, StoreLocked) else store_problem(exc)
        if request.endpoint in ("decide", "judge"):
            return retry_decision(problem)  # what was typed is kept, for "Save again" or to copy
        if problem:
            return render_template("error.html", message=problem), 503
        return render_template("error.html", message="The database is busy; try again in a moment."), 503

    warned: list[bool] = []  # forwarded headers without --behind-https-proxy: said once

    @app.before_request
    def guard() -> Response | None:
        if (
            not warned
            and not app.config.get("BEHIND_HTTPS_PROXY")
            and any(name in request.headers for name in FORWARDED)
        ):
            warned.append(True)
            log.warning(
                "requests come with X-Forwarded-* headers: a reverse proxy is in front, but the page was "
                "started without --behind-https-proxy, so every reviewer has the proxy's address (one "
                "address for the login limits) and the session cookie is not HTTPS-only (review/README.md)"
            )
        if request.routing_exception is not None:
            return None  # a host not allowed, an unknown path: Flask answers 400/404 next
        if "csrf" not in session:
            session["csrf"] = auth.new_csrf_token()
        if request.method == "POST" and not auth.csrf_matches(
            session.get("csrf"), request.form.get("csrf_token")
        ):
            log.warning("CSRF token missing or wrong on %s", request.path)
            abort(400, description="The form has expired or did not come from this site; reload the page.")
        if request.endpoint in ("login", "static"):
            return None
        user = session.get("user")
        if not user:
            return redirect(url_for("login", next=request.full_path if request.args else request.path))
        if request.endpoint == "logout":  # the session is in the cookie: ended without the database
            g.user = user
            return None
        epoch = auth.session_epoch(db(), user)
        if epoch is None or epoch != session.get("epoch"):
            session.clear()
            flash("Your session has ended; log in again.")
            return redirect(url_for("login"))
        g.user = user
        return None

    @app.after_request
    def headers(resp: Response) -> Response:
        resp.headers.setdefault("Content-Security-Policy", CSP)
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        resp.headers.setdefault("X-Frame-Options", "DENY")
        if request.endpoint != "static":
            resp.headers.setdefault("Cache-Control", "no-store")
        location = resp.headers.get("Location")
        if location and (url := urlsplit(location)).netloc:
            # Werkzeug's own redirects (a path with "//" merged) are absolute URLs of the Host header
            # the request came with, whatever it was: made a path on this site.
            resp.headers["Location"] = urlunsplit(("", "", url.path or "/", url.query, url.fragment))
        return resp

    @app.errorhandler(400)
    @app.errorhandler(404)
    def client_error(exc: Any) -> tuple[str, int]:
        if isinstance(exc, SecurityError):  # a Host not allowed: no page links to build for it
            return "This host name is not served here.\n", exc.code
        return render_template("error.html", message=exc.description), exc.code


# What the page says of a store error that is no lock, by the words of its cause: the kind only, as
# anyone who can reach the login page sees it (review: the message held the server's paths and
# DuckDB's own words); the whole error is in the page's log.
_PROBLEMS = (
    (("permission denied", "read-only", "operation not permitted"), "the server may not write its folder"),
    (("no space", "file too large", "quota"), "the server's disk is full"),
    (("not a valid duckdb", "damaged", "corrupt", "checksum"), "its file is damaged"),
)


def store_problem(exc: StoreError) -> str:
    """One sentence for reviewers on a store error that is not a lock: what kind, and whom to tell."""
    text = str(exc).lower()
    kind = next(
        (said for words, said in _PROBLEMS if any(w in text for w in words)), "it could not be opened"
    )
    return f"The database could not be used ({kind}). Tell the person who runs the monitor: the page's log says more."


def retry_decision(problem: str | None = None) -> tuple[str, int]:
    """The page that keeps a decision or a yes or no the busy database refused, for "Save again" (503);
    ``problem`` says why when the database was not busy but failed (not writable, full)."""
    # A batch holds the database longer than the page waits: what was typed must not be lost,
    # and the item page cannot be read either. A page of its own carries it to "Save again".
    names = ANSWER_FIELDS if request.endpoint == "judge" else DECISION_FIELDS  # a yes or no, or a decision
    fields = {k: request.form.get(k, "") for k in names if k in request.form}
    page = render_template("retry.html", fields=fields, action=url_for(request.endpoint), problem=problem)
    return page, 503
