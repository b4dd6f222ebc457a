"""The review web page: a Flask app (server-rendered Jinja2, autoescaped) over the DuckDB store.

Every page but the login needs a logged-in reviewer; every POST form carries the session's CSRF
token (both checked by review.request_guard); every value reaches SQL as a bound parameter; item text
is escaped before any markup is added.
The database is opened per request and closed at once, so the scheduler can write between requests.
"""

from __future__ import annotations

import dataclasses
import logging
import tempfile
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import duckdb
from flask import (
    Flask,
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

from classify.lang import LANGS
from errors import InputError, StoreError, StoreLocked
from review import auth, item_page, login_page, queries, request_guard, stale_text
from review.dblock import ReadWriteLock
from review.export import (
    FORMAT_NAMES,
    FORMATS,
    MEDIA_TYPES,
    export_filename,
)
from review.export_stream import download_folder, stream_export, sweep_abandoned
from review.filters import LABELS, describe
from review.list_filters import chart_range, int_value, parse_filters, query_pairs, score_value
from review.paging import paginate
from review.quality import against_reviewers
from review.queries import StaleDecision
from review.render import (
    excerpt,
    highlight,
    local_time,
    per_day_svg,
    shown,
    stale_answer_text,
    stale_decision_text,
    text_lang,
    web_link,
)
from review.request_guard import retry_decision, store_problem
from review.second_look import (
    UNSURE_FLOOR,
    StaleAnswer,
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
PERIODS = (
    ("", "any time"),
    ("1", "today"),
    ("7", "last 7 days"),
    ("30", "last 30 days"),
    ("90", "last 90 days"),
)
MAX_BACK = 2000  # characters of the list's query kept for "back to the list"
DB_WAIT = 10.0  # seconds a request waits for a batch's lock on the database, then says it is busy


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
    spill = download_folder(db_path)  # the downloads' temporary files (review/README.md)
    if swept := sweep_abandoned(spill):
        log.info("removed %d download folder(s) a killed process left in %s", swept, spill)
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
        BEHIND_HTTPS_PROXY=behind_https_proxy,
    )
    if behind_https_proxy:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
    app.jinja_env.autoescape = True
    app.jinja_env.globals.update(
        local_time=local_time, excerpt=excerpt, highlight=highlight, web_link=web_link, text_lang=text_lang
    )
    app.jinja_env.filters["shown"] = shown  # control characters in stored text, made visible
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

    request_guard.install(app, db)  # login and CSRF before each request, headers after, error pages

    # /login: its limits and the check; DB_WAIT read at each login (tests shorten it)
    login_page.install(app, db_path, db_lock, wait=lambda: DB_WAIT)

    @app.post("/logout")
    def logout() -> Any:
        user, epoch = g.user, session.get("epoch")
        session.clear()  # this browser is logged out whatever the database says
        release()  # the write below needs the file to itself within this process
        try:
            with db_lock.writing():  # a copy of the cookie must not outlive the logout
                ended = auth.end_sessions(db_path, user, epoch=epoch, wait=DB_WAIT)
        except StoreError as exc:
            log.warning("logout of %s: sessions on other devices not ended: %s", user, exc)
            flash(
                "Logged out in this browser only: the database was busy, so your sessions on other devices "
                "were not ended. To end them, log in and log out again in a few minutes."
                if isinstance(exc, StoreLocked)
                else "Logged out in this browser only: your sessions on other devices were not ended. "
                + store_problem(exc)
            )
            return redirect(url_for("login"))
        flash("Logged out (on every device where you were logged in)." if ended else "Logged out.")
        return redirect(url_for("login"))

    @app.get("/")
    def index() -> Any:
        filters, form, errors, ignored = parse_filters(request.args)
        first, last = chart_range(filters)
        chart_filters = dataclasses.replace(filters, since=first, until=last)
        con = db()
        total = queries.count_flagged(con, filters)
        page = paginate(request.args.get("page"), total, PAGE_SIZE)
        rows = queries.select_page(con, filters, limit=PAGE_SIZE, offset=page.offset)
        counts = queries.per_day(con, chart_filters)
        choices = queries.filter_choices(con)
        release()
        query = [(k, form["q"] if k == "q" else v) for k, v in query_pairs(request.args)]  # q as searched
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
            # A token derived from the session's rides in the link: without it /export refuses (400), so
            # another site cannot have the browser download (or start the work of) an export. Not the
            # form token itself, which would sit in access logs and the browser's history.
            export_link=lambda fmt: (
                url_for("export")
                + "?"
                + urlencode([*applied, ("format", fmt), ("token", auth.export_token(session["csrf"]))])
            ),
        )

    def show_item(
        source: str,
        external_id: str,
        *,
        draft: dict[str, Any] | None = None,
        answer_draft: dict[str, Any] | None = None,
    ) -> str:
        """The item page; ``draft`` is a refused decision, shown again in its form to be put right;
        ``answer_draft`` a refused yes or no (label, answer, next, refused)."""
        con = db()
        found = item_page.get_item(con, source, external_id)
        if found is None:
            abort(404, description="No such item.")
        thread = item_page.get_thread(con, found)
        history = item_page.review_history(con, source, external_id)
        answers = label_history(con, source, external_id)
        targets = item_page.forward_targets(con)
        seen_upto = queries.last_review_id(con)
        # What the page shows of the item and its near-duplicates (text, labels), sent back with a
        # decision or an answer: one saved against another text is refused (review.stale_text).
        dups = [(d["source"], d["external_id"]) for d in thread["duplicates"]]
        state = stale_text.current_state(con, [(source, external_id), *dups])
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
            answer_draft=answer_draft or {},
            seen_upto=seen_upto,
            shown_fields=stale_text.decision_fields(state, (source, external_id), dups),
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
                    shown=stale_text.from_form(request.form, (source, external_id)),
                    wait=DB_WAIT,
                )
        except StoreLocked:
            return retry_decision()
        except InputError as exc:
            # Not a redirect: the page comes back with the form as the reviewer left it (a note can
            # be 4000 characters, too long to carry in the session cookie to the next request).
            if isinstance(exc, stale_text.StaleText):  # shown again with the text as it is now
                refused = stale_text.decision_text(exc, (source, external_id), g.user)
            elif isinstance(exc, StaleDecision):
                refused = stale_decision_text(exc.latest, g.user)
            else:
                refused = f"Not saved: {exc}"
            draft = {
                "refused": refused,
                "status": status,
                "note": request.form.get("note", ""),
                "forwarded_to": request.form.get("forwarded_to", ""),
                "duplicates": request.form.get("duplicates") == "1",
            }
            stale = isinstance(exc, (StaleDecision, stale_text.StaleText))
            return show_item(source, external_id, draft=draft), 409 if stale else 422
        also = f" (and {written - 1} near-duplicate{'s' if written > 2 else ''})" if written > 1 else ""
        flash(f"Saved: {status}{also}." if written else f"Saved: {status} (already saved; sent twice).")
        return redirect(url_for("item", source=source, id=external_id))

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
            floor = round(given, 2)  # in hundredths, as the field takes it (review: 0.123 blocked Apply)
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
        versions: set[str] = set()
        tallies = against_reviewers(db(), versions)
        release()
        return render_template("quality.html", tallies=tallies, versions=sorted(versions))

    @app.post("/judge")
    def judge() -> Any:
        source, external_id = request.form.get("source", ""), request.form.get("id", "")
        label, answer = request.form.get("label", ""), request.form.get("answer", "")
        back = auth.safe_next(
            request.form.get("next") or url_for("item", source=source, id=external_id), url_for("index")
        )
        if answer not in ("yes", "no"):
            abort(400, description="The answer must be yes or no.")
        seen = request.form.get("seen")  # the latest answer on the label the form was shown with
        release()  # the write below needs the file to itself within this process
        try:
            with db_lock.writing():
                written = record_label_decision(
                    db_path,
                    source,
                    external_id,
                    label=label,
                    value=answer == "yes",
                    reviewer=g.user,
                    seen=None if seen is None else int_value(seen, 0),
                    shown_hash=request.form.get("shown_hash"),
                    wait=DB_WAIT,
                )
        except (StaleAnswer, stale_text.StaleText) as exc:
            # As a stale decision: the item page (its text as it is now), with the newer answer or
            # the change said and the button pressed marked.
            refused = {
                "label": label,
                "answer": answer,
                "next": back,
                "refused": stale_text.answer_text(exc, (source, external_id), g.user)
                if isinstance(exc, stale_text.StaleText)
                else stale_answer_text(exc.latest, g.user),
            }
            return show_item(source, external_id, answer_draft=refused), 409
        except InputError as exc:
            flash(f"Not saved: {exc}")
            return redirect(back)
        said = "reports" if answer == "yes" else "does not report"
        flash(
            f"Saved: {shown(source)} {shown(external_id)} {said} {label}"
            f"{'' if written else ' (already saved; sent twice)'}."
        )
        return redirect(back)

    @app.get("/export")
    def export() -> Any:
        csrf = session.get("csrf")
        if not csrf or not auth.csrf_matches(auth.export_token(csrf), request.args.get("token")):
            log.warning("CSRF token missing or wrong on %s", request.path)
            abort(
                400,
                description="The download link has expired or did not come from this site; reload the list.",
            )
        fmt = request.args.get("format", "xlsx")
        if fmt not in FORMATS:
            abort(400, description="Unknown export format.")
        filters, _form, errors, _ignored = parse_filters(request.args)
        if errors:
            abort(400, description="; ".join(errors))
        # The same reading and writing as `pipeline.py export`, so the page serves the command's file:
        # what it reads is copied, the database let go (the scheduler may write meanwhile), and the
        # file written a piece at a time into a temporary file, sent and then removed.
        about = [("exported by", g.user), *describe(filters)]
        spool = None
        try:
            spool = tempfile.TemporaryFile(prefix="review-export-", dir=spill)  # noqa: SIM115 (send_file closes it)
            # Let go of while it waits for its turn to copy (review.export_stream), taken again then.
            rows = stream_export(
                db(), filters, fmt, spool, spill=spill, about=about, release=release, reopen=db
            )
        except BaseException as exc:
            if spool is not None:
                spool.close()
            if isinstance(exc, InputError):  # more rows than an Excel sheet holds
                abort(400, description=str(exc))
            if not isinstance(exc, OSError):
                raise
            # The folder full (review.export_stream._copy_error) or not writable.
            log.warning("review page: download not prepared in %s: %s", spill, exc)
            message = f"The download could not be prepared: {exc.strerror or exc}. Try again later."
            return render_template("error.html", message=message), 507
        spool.seek(0)
        log.info("reviewer %s exported %d rows as %s", g.user, rows, fmt)
        resp = send_file(
            spool, mimetype=MEDIA_TYPES[fmt], as_attachment=True, download_name=export_filename(fmt)
        )
        resp.headers["Cache-Control"] = "no-store"  # send_file's no-cache lets a browser keep the file
        return resp

    return app
