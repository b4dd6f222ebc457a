"""The review web page: a Flask app (server-rendered Jinja2, autoescaped) over the DuckDB store.

Every page but the login needs a logged-in reviewer; every POST form carries the session's CSRF
token; every value reaches SQL as a bound parameter; item text is escaped before any markup is added.
The database is opened per request and closed at once, so the scheduler can write between requests.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import duckdb
from flask import (
    Flask,
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from werkzeug.exceptions import SecurityError

from classify.lang import LANGS
from collectors.dates import almaty_time
from errors import InputError, StoreError, StoreLocked
from review import auth, queries
from review.dblock import ReadWriteLock
from review.export import (
    FORMAT_NAMES,
    FORMATS,
    MEDIA_TYPES,
    export_filename,
    read_export,
    write_export,
)
from review.list_filters import FILTER_KEYS, int_value, parse_filters, score_value, today
from review.paging import paginate
from review.quality import against_reviewers
from review.queries import LABELS, Filters, StaleDecision
from review.render import highlight, per_day_svg
from review.second_look import (
    UNSURE_FLOOR,
    count_unsure,
    label_history,
    recent_answers,
    record_label_decision,
    select_unsure,
)
from store.db import connect, writer
from store.migrations import REVIEW_STATUSES

log = logging.getLogger(__name__)

PAGE_SIZE = 50
EXCERPT = 400
PERIODS = (
    ("", "any time"),
    ("1", "today"),
    ("7", "last 7 days"),
    ("30", "last 30 days"),
    ("90", "last 90 days"),
)
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
MAX_BACK = 2000  # characters of the list's query kept for "back to the list"
DB_WAIT = 10.0  # seconds a request waits for a batch's lock on the database, then says it is busy
DECISION_FIELDS = ("source", "id", "status", "note", "forwarded_to", "duplicates", "seen", "seen_upto")


def create_app(
    db_path: str | Path,
    *,
    secret_key: str | None = None,
    testing: bool = False,
    behind_https_proxy: bool = False,
    allowed_hosts: Sequence[str] | None = None,
) -> Flask:
    """The review app over the database at ``db_path`` (created and migrated when missing).

    ``behind_https_proxy``: the page is served through an HTTPS reverse proxy on this machine; the
    session cookie is then sent over HTTPS only, and the proxy's X-Forwarded-For/-Proto/-Host headers
    (one proxy) are believed. ``allowed_hosts``: Host header values answered; others get 400.
    """
    db_path = Path(db_path)
    with writer(db_path):
        pass  # applies migrations (the users table) before the first read-only request
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=secret_key or auth.secret_key(db_path),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="monitor_review",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        MAX_CONTENT_LENGTH=64 * 1024,
        TESTING=testing,
        DB_PATH=db_path,
        SESSION_COOKIE_SECURE=behind_https_proxy,
        TRUSTED_HOSTS=list(allowed_hosts) if allowed_hosts else None,
    )
    if behind_https_proxy:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
    app.jinja_env.autoescape = True
    app.jinja_env.globals.update(
        local_time=_local_time, excerpt=_excerpt, highlight=highlight, web_link=web_link, text_lang=text_lang
    )
    # Pages read the file side by side (a long download does not hold up the list); a write waits
    # for them and has the file to itself within this process.
    db_lock = ReadWriteLock()

    def db() -> duckdb.DuckDBPyConnection:
        """This request's read-only connection, opened on first use; closed by release() or at the end."""
        if g.get("db_con") is None:
            db_lock.acquire_read()
            try:
                g.db_con = connect(db_path, read_only=True, wait=DB_WAIT)
            except BaseException:
                db_lock.release_read()
                raise
        return g.db_con

    def release(_exc: BaseException | None = None) -> None:
        con = g.pop("db_con", None)
        if con is not None:
            try:
                con.close()
            finally:
                db_lock.release_read()

    app.teardown_request(release)

    @app.errorhandler(StoreError)
    def store_busy(exc: StoreError) -> tuple[str, int]:
        log.warning("review page: %s", exc)
        if request.endpoint == "decide" and isinstance(exc, StoreLocked):
            return retry_decision()  # busy before the decision was read: what was typed is kept
        return render_template("error.html", message="The database is busy; try again in a moment."), 503

    @app.before_request
    def guard() -> Response | None:
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
        return resp

    failures = auth.LoginThrottle()

    @app.route("/login", methods=["GET", "POST"])
    def login() -> Any:
        error, username = None, ""
        if request.method == "POST":
            username = request.form.get("username", "").strip()
            password = request.form.get("password", "")
            if failures.blocked(username, request.remote_addr):
                log.warning("login for %r from %s refused: too many failures", username, request.remote_addr)
                message = "Too many failed attempts; wait a few minutes and try again."
                return render_template("login.html", error=message, username=username), 429
            epoch = auth.authenticate(db_path, username, password, lock=db_lock.reading(), wait=DB_WAIT)
            failures.record(username, request.remote_addr, ok=epoch is not None)
            if epoch is not None:
                session.clear()  # a fresh session on login: no fixation
                session.permanent = True
                session.update(user=username, epoch=epoch, csrf=auth.new_csrf_token())
                log.info("reviewer %s logged in", username)
                return redirect(_safe_next(request.args.get("next")))
            log.warning("failed login for %r from %s", username, request.remote_addr)
            error = "Wrong username or password."
        # A refused login keeps the name typed (never the password).
        return render_template("login.html", error=error, username=username), (401 if error else 200)

    @app.post("/logout")
    def logout() -> Any:
        user = g.user
        release()  # the write below needs the file to itself within this process
        with db_lock.writing():
            auth.end_sessions(db_path, user, wait=DB_WAIT)  # a copy of the cookie must not outlive the logout
        session.clear()
        flash("Logged out (on every device where you were logged in).")
        return redirect(url_for("login"))

    @app.get("/")
    def index() -> Any:
        filters, form, errors, ignored = parse_filters(request.args)
        first, last = _chart_range(filters)
        chart_filters = Filters(**{**_filters_dict(filters), "since": first, "until": last})
        con = db()
        total = queries.count_flagged(con, filters)
        page = paginate(request.args.get("page"), total, PAGE_SIZE)
        rows = queries.select_page(con, filters, limit=PAGE_SIZE, offset=page.offset)
        counts = queries.per_day(con, chart_filters)
        choices = queries.filter_choices(con)
        release()
        query = [(k, form["q"] if k == "q" else v) for k, v in _query_pairs(request.args)]  # q as searched
        back = urlencode([*query, ("page", str(page.number))] if page.number > 1 else query)
        # The way back to this list rides in the session cookie, which browsers drop past about 4 kB.
        session["list_query"] = back if len(back) <= MAX_BACK else ""
        # The files hold what the page shows: values the page ignored are left out of their links,
        # since /export refuses them rather than ignore them.
        applied = [(k, v) for k, v in query if k not in ignored]
        return render_template(
            "list.html",
            rows=rows,
            page=page,
            form=form,
            errors=errors,
            choices=choices,
            labels=LABELS,
            statuses=REVIEW_STATUSES,
            periods=PERIODS,
            formats=FORMATS,
            format_names=FORMAT_NAMES,
            chart=per_day_svg(counts, first=first, last=last),
            chart_first=first,
            chart_last=last,
            query=query,
            page_link=lambda n: url_for("index") + "?" + urlencode([*query, ("page", str(n))]),
            export_link=lambda fmt: url_for("export") + "?" + urlencode([*applied, ("format", fmt)]),
        )

    def show_item(source: str, external_id: str, *, draft: dict[str, Any] | None = None) -> str:
        """The item page; ``draft`` is a refused decision, shown again in its form to be put right."""
        con = db()
        found = queries.get_item(con, source, external_id)
        if found is None:
            abort(404, description="No such item.")
        thread = queries.get_thread(con, found)
        history = queries.review_history(con, source, external_id)
        answers = label_history(con, source, external_id)
        targets = queries.forward_targets(con)
        seen_upto = queries.last_review_id(con)
        release()
        back = url_for("index") + ("?" + session["list_query"] if session.get("list_query") else "")
        return render_template(
            "item.html",
            item=found,
            thread=thread,
            history=history,
            current=history[0] if history else None,
            current_answers={
                label: next((a for a in answers if a["label"] == label), None) for label in LABELS
            },
            labels=LABELS,
            here=url_for("item", source=source, id=external_id),
            back=back,
            statuses=REVIEW_STATUSES,
            targets=targets,
            draft=draft or {},
            seen_upto=seen_upto,
        )

    @app.get("/item")
    def item() -> Any:
        return show_item(request.args.get("source", ""), request.args.get("id", ""))

    @app.post("/item/decide")
    def decide() -> Any:
        source, external_id = request.form.get("source", ""), request.form.get("id", "")
        status = request.form.get("status", "")
        seen = request.form.get("seen")  # the latest decision the form was shown with
        release()  # the write below needs the file to itself within this process
        try:
            with db_lock.writing():
                written = queries.record_decision(
                    db_path,
                    source,
                    external_id,
                    status=status,
                    reviewer=g.user,
                    note=request.form.get("note"),
                    forwarded_to=request.form.get("forwarded_to"),
                    with_duplicates=request.form.get("duplicates") == "1",
                    seen=None if seen is None else int_value(seen, 0),
                    seen_upto=int_value(request.form["seen_upto"], 0)
                    if "seen_upto" in request.form
                    else None,
                    wait=DB_WAIT,
                )
        except StoreLocked:
            return retry_decision()
        except InputError as exc:
            # Not a redirect: the page comes back with the form as the reviewer left it (a note can
            # be 4000 characters, too long to carry in the session cookie to the next request).
            draft = {
                "refused": _stale_message(exc.latest, g.user)
                if isinstance(exc, StaleDecision)
                else f"Not saved: {exc}",
                "status": status,
                "note": request.form.get("note", ""),
                "forwarded_to": request.form.get("forwarded_to", ""),
                "duplicates": request.form.get("duplicates") == "1",
            }
            return show_item(source, external_id, draft=draft), 409 if isinstance(exc, StaleDecision) else 422
        also = f" (and {written - 1} near-duplicate{'s' if written > 2 else ''})" if written > 1 else ""
        flash(f"Saved: {status}{also}." if written else f"Saved: {status} (already saved; sent twice).")
        return redirect(url_for("item", source=source, id=external_id))

    def retry_decision() -> tuple[str, int]:
        # A batch holds the database longer than the page waits: what was typed must not be lost,
        # and the item page cannot be read either. A page of its own carries it to "Save again".
        fields = {k: request.form.get(k, "") for k in DECISION_FIELDS if k in request.form}
        return render_template("retry.html", fields=fields), 503

    @app.get("/second-look")
    def second_look() -> Any:
        label = request.args.get("label") or "infrastructure"
        if label not in LABELS:
            abort(400, description="Unknown label.")
        lang = request.args.get("lang") or None
        if lang is not None and lang not in LANGS:  # else an empty list that looks like none are left
            abort(400, description=f"Unknown language; use one of {', '.join(LANGS)}.")
        floor = UNSURE_FLOOR
        if request.args.get("floor"):
            given = score_value(request.args["floor"])
            if given is None:
                abort(400, description="The lowest score must be a number between 0 and 1.")
            floor = given
        con = db()
        total, kazakh = count_unsure(con, label, floor=floor, lang=lang)
        page = paginate(request.args.get("page"), total, PAGE_SIZE)
        rows = select_unsure(con, label, floor=floor, lang=lang, limit=PAGE_SIZE, offset=page.offset)
        choices = queries.filter_choices(con)
        answered = recent_answers(con, label)
        release()
        query = [("label", label), ("floor", f"{floor:g}")] + ([("lang", lang)] if lang else [])
        here = url_for("second_look") + "?" + urlencode([*query, ("page", str(page.number))])
        return render_template(
            "second_look.html",
            rows=rows,
            kazakh=None if lang else kazakh,
            answered=answered,
            page=page,
            label=label,
            lang=lang or "",
            floor=floor,
            labels=LABELS,
            choices=choices,
            here=here,
            page_link=lambda n: url_for("second_look") + "?" + urlencode([*query, ("page", str(n))]),
        )

    @app.get("/quality")
    def quality() -> Any:
        tallies = against_reviewers(db())
        release()
        return render_template("quality.html", tallies=tallies)

    @app.post("/judge")
    def judge() -> Any:
        source, external_id = request.form.get("source", ""), request.form.get("id", "")
        label, answer = request.form.get("label", ""), request.form.get("answer", "")
        back = _safe_next(request.form.get("next") or url_for("item", source=source, id=external_id))
        if answer not in ("yes", "no"):
            abort(400, description="The answer must be yes or no.")
        release()  # the write below needs the file to itself within this process
        try:
            with db_lock.writing():
                record_label_decision(
                    db_path,
                    source,
                    external_id,
                    label=label,
                    value=answer == "yes",
                    reviewer=g.user,
                    wait=DB_WAIT,
                )
            said = "reports" if answer == "yes" else "does not report"
            flash(f"Saved: {source} {external_id} {said} {label}.")
        except InputError as exc:
            flash(f"Not saved: {exc}")
        return redirect(back)

    @app.get("/export")
    def export() -> Any:
        fmt = request.args.get("format", "xlsx")
        if fmt not in FORMATS:
            abort(400, description="Unknown export format.")
        filters, _form, errors, _ignored = parse_filters(request.args)
        if errors:
            abort(400, description="; ".join(errors))
        # The same reading and writing as `pipeline.py export`, so the page serves the command's file.
        data = read_export(db(), filters, fmt, collapse=True)
        release()  # written after the database is let go: the scheduler may write meanwhile
        buffer = io.BytesIO()
        try:
            write_export(data, fmt, buffer, about=[("exported by", g.user), *queries.describe(filters)])
        except InputError as exc:  # more rows than an Excel sheet holds
            abort(400, description=str(exc))
        buffer.seek(0)
        log.info("reviewer %s exported %d rows as %s", g.user, len(data), fmt)
        return send_file(
            buffer, mimetype=MEDIA_TYPES[fmt], as_attachment=True, download_name=export_filename(fmt)
        )

    @app.errorhandler(400)
    @app.errorhandler(404)
    def client_error(exc: Any) -> tuple[str, int]:
        if isinstance(exc, SecurityError):  # a Host not allowed: no page links to build for it
            return "This host name is not served here.\n", exc.code
        return render_template("error.html", message=exc.description), exc.code

    return app


def _chart_range(filters: Filters) -> tuple[date, date]:
    last = min(filters.until or today(), today())
    first = filters.since or last - timedelta(days=29)
    if (last - first).days > 365:
        first = last - timedelta(days=365)
    return first, max(first, last)


def _filters_dict(filters: Filters) -> dict[str, Any]:
    return {name: getattr(filters, name) for name in Filters.__slots__}


def _query_pairs(args: Any) -> list[tuple[str, str]]:
    return [(k, v) for k in FILTER_KEYS for v in args.getlist(k) if v]


def _safe_next(target: str | None) -> str:
    # Only a path on this site: never "//host" or "http://host". No control characters or spaces
    # either: browsers and Werkzeug drop a tab or a newline from a URL, which makes "/<tab>/host" a
    # "//host", and a newline cannot go into the Location header at all.
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and all(" " < ch != "\x7f" for ch in target)
    ):
        return target
    return url_for("index")


def web_link(url: str | None) -> str | None:
    """``url`` when it is an http(s) address, else None (a source could send ``javascript:``)."""
    if url and url.strip().lower().startswith(("https://", "http://")):
        return url.strip()
    return None


def text_lang(lang: str | None) -> str:
    """The HTML ``lang`` of an item's text: the page is English, the items Russian or Kazakh.

    The classifier also says "mixed" and "other", which name no language: "" (unknown) for those.
    """
    return lang if lang in ("ru", "kk") else ""


def _stale_message(latest: dict[str, Any], user: str) -> str:
    """Why a decision sent from a page older than the item's latest decision was not saved."""
    who = "You" if latest["reviewer"] == user else latest["reviewer"] or "Someone"
    if "external_id" in latest:  # one of its near-duplicates
        who += f" (on its near-duplicate {latest['source']} {latest['external_id']})"
    to = f" to {latest['forwarded_to']}" if latest["forwarded_to"] else ""
    return (
        f"Not saved: {who} decided this item after this page was opened ({latest['status']}{to}, "
        f"{_local_time(latest['created_at'])}; see the history below). Your decision is kept in the "
        "form: press its button again to save it over that one."
    )


def _local_time(value: datetime | None) -> str:
    return almaty_time(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _excerpt(text: str | None, limit: int = EXCERPT) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
