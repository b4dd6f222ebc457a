"""Sub-commands `export`, `review` and `user` (add, list, passwd)."""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
from datetime import date
from pathlib import Path
from typing import Any

from classify.lang import LANGS
from errors import InputError

log = logging.getLogger(__name__)

STATUSES = ("new", "confirmed", "rejected", "forwarded")
EXPORT_FORMATS = ("csv", "excel-csv", "xlsx", "json", "parquet", "training-jsonl")
# export's filters (argparse names), which training-jsonl does not take
_FILTERS = ("label", "min_score", "since", "until", "source", "lang", "status", "search", "all_duplicates")
PASSWORD_ENV = "MONITOR_PASSWORD"  # noqa: S105 - the name of a variable, not a password


def register(sub: argparse._SubParsersAction) -> None:
    """Add export, review and user."""
    p = sub.add_parser(
        "export",
        help="flagged items for reviewers (csv, excel-csv, xlsx, json, parquet, training-jsonl)",
        description="Write flagged items to a file, one row per near-duplicate cluster, with link, "
        "source, author, time, text, language, scores, evidence, review status and note, parent post. "
        "excel-csv is CSV as Excel set to Russian or Kazakh opens it (semicolons, decimal commas, "
        "dd.mm.yyyy times). training-jsonl writes reviewers' confirmed/rejected decisions and "
        "second-look answers as labelled rows for `train --extra-jsonl` (it takes no filters). Example: python pipeline.py export --format xlsx --out confirmed.xlsx "
        "--label corruption --status confirmed --since 2026-11-18",
    )
    p.add_argument("--format", required=True, choices=EXPORT_FORMATS)
    p.add_argument("--out", required=True, type=Path, metavar="F", help="file to write")
    p.add_argument("--label", choices=("corruption", "infrastructure"), help="only items flagged with it")
    p.add_argument(
        "--min-score", type=float, metavar="P", help="minimum score (of --label, else of any label)"
    )
    p.add_argument("--since", type=_date, metavar="YYYY-MM-DD", help="from this day (Asia/Almaty)")
    p.add_argument("--until", type=_date, metavar="YYYY-MM-DD", help="up to and including this day")
    p.add_argument("--source", action="append", metavar="NAME", help="only this source (repeatable)")
    p.add_argument("--lang", choices=LANGS, help="only this language")
    p.add_argument("--status", choices=STATUSES, help="only items whose latest review status is this")
    p.add_argument(
        "--search",
        metavar="TEXT",
        help="only items whose text, title or author contains TEXT, whatever the case, and a word of 3 "
        "letters or more in every spelling the classifier reads as it (jol, zhol, жол), as the review "
        "page searches",
    )
    p.add_argument(
        "--all-duplicates", action="store_true", help="one row per item instead of one per cluster"
    )
    _common(p)
    p.set_defaults(func=cmd_export)

    p = sub.add_parser(
        "review",
        help="the review web page",
        description="Serve the review page (login, flagged items, decisions, exports, chart). It "
        "binds to 127.0.0.1 unless told otherwise. Example: python pipeline.py review --port 8080",
    )
    p.add_argument(
        "--host",
        type=_host,
        default="127.0.0.1",
        help="address to bind (default 127.0.0.1; IPv6 as ::1 or [::1])",
    )
    p.add_argument("--port", type=_port, default=8080, help="port (default 8080; 0: any free port)")
    p.add_argument(
        "--behind-https-proxy",
        action="store_true",
        help="served through an HTTPS reverse proxy on this machine: HTTPS-only session cookie, "
        "X-Forwarded-* headers of one proxy believed (it must replace the browser's X-Forwarded-For: "
        "review/README.md has nginx and Caddy set-ups)",
    )
    p.add_argument(
        "--allowed-host",
        action="append",
        metavar="NAME",
        help="answer only requests for this host name (repeatable; e.g. review.example.kz)",
    )
    _common(p)
    p.set_defaults(func=cmd_review)

    p = sub.add_parser(
        "user",
        help="reviewers who may log in to the review page",
        description="Manage reviewers. The password is asked at a prompt, or read from "
        f"${PASSWORD_ENV}, or from stdin with --password-stdin; never from the command line. "
        "Example: python pipeline.py user add aigerim",
    )
    user_sub = p.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    for action, text in (("add", "add a reviewer"), ("passwd", "change a reviewer's password")):
        q = user_sub.add_parser(action, help=text, description=f"{text[0].upper()}{text[1:]}.")
        q.add_argument("username")
        q.add_argument(
            "--password-stdin", action="store_true", help="read the password from the first line of stdin"
        )
        _common(q)
        q.set_defaults(func=cmd_user_add if action == "add" else cmd_user_passwd)
    for action, text in (
        ("disable", "stop a reviewer from logging in (their open sessions end)"),
        ("enable", "let a disabled reviewer log in again"),
    ):
        q = user_sub.add_parser(action, help=text, description=f"{text[0].upper()}{text[1:]}.")
        q.add_argument("username")
        _common(q)
        q.set_defaults(func=cmd_user_disable if action == "disable" else cmd_user_enable)
    q = user_sub.add_parser("list", help="list reviewers", description="List reviewers.")
    _common(q)
    q.set_defaults(func=cmd_user_list)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", help="sources file (default config/sources.toml)")
    p.add_argument("--db", help="DuckDB file (default: [settings] db, else data/monitor.duckdb)")


def _date(value: str) -> date:
    from review.queries import check_day

    try:
        return check_day(date.fromisoformat(value))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date like 2026-11-25: {value!r}") from None
    except InputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _host(value: str) -> str:
    """The address to bind: an IPv6 one may be written as in a URL, ``[::1]`` (review: refused as a
    name that does not resolve)."""
    return value[1:-1] if value.startswith("[") and value.endswith("]") else value


def _port(value: str) -> int:
    """A TCP port, 0 (any free one) to 65535: a larger one was taken modulo 65536 (99999 listened on
    34463), a negative one ended in a traceback."""
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {value!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 1 to 65535 (0: any free port), not {port}")
    return port


def _db(args: argparse.Namespace) -> Path:
    from batch.cli import resolve

    return resolve(args, config_required=False)[1]


# Files of the monitor that an export must never replace: an ``--out`` that names one was written over
# (review: `export --out sources.toml` replaced the config with CSV, `--out models/classifier.npz` the
# model, and the next `run` stored items unclassified without a failing exit status).
_NOT_EXPORTS = {".toml": "configuration", ".duckdb": "database", ".wal": "database log", ".npz": "model"}


def _refuse_monitor_file(out: Path, db: Path, config: Path | None) -> None:
    """Raise InputError when ``out`` is an existing file of the monitor (its database and its log, the
    config in use, a model, any ``.toml``/``.duckdb``/``.npz`` file), which the export would replace."""
    from classify.model import MODELS_DIR

    if not out.is_file():
        return  # a new file, or a pipe or device (/dev/stdout)
    what = None
    if out.samefile(db):
        what = "the database itself"
    elif config is not None and config.exists() and out.samefile(config):
        what = "the configuration in use"
    elif MODELS_DIR.is_dir() and out.resolve().is_relative_to(MODELS_DIR.resolve()):
        what = "a file of the models folder"
    elif (kind := _NOT_EXPORTS.get(out.suffix.lower())) is not None:
        what = f"an existing {kind} file ({out.suffix})"
    if what:
        raise InputError(f"--out names {what}; give the export a file of its own", path=str(out))


def cmd_export(args: argparse.Namespace) -> int:
    """`export`: flagged items (or reviewers' decisions) to a file."""
    from store.db import require_database

    db = _db(args)
    require_database(db)
    from config.sources import DEFAULT_CONFIG

    _refuse_monitor_file(args.out, db, Path(args.config) if getattr(args, "config", None) else DEFAULT_CONFIG)
    if args.format == "training-jsonl":
        from review.training import decision_rows, write_jsonl

        given = [f"--{name.replace('_', '-')}" for name in _FILTERS if getattr(args, name)]
        if given:
            # all decisions are the training set: a filter would be silently ignored
            raise InputError(f"training-jsonl writes every reviewer decision; it takes no {', '.join(given)}")

        n = write_jsonl(decision_rows(db), args.out)
        _wrote(args.out, f"wrote {n} reviewer-labelled rows to {args.out}")
        return 0
    from review.export import export_to_file
    from review.queries import Filters, filter_choices
    from store.db import reader

    if args.source:
        # a misspelt source would give an empty file that looks like a quiet week
        with reader(db) as con:
            known = filter_choices(con)["sources"]
        unknown = [s for s in args.source if s not in known]
        if unknown:
            raise InputError(
                f"no item of source {', '.join(map(repr, unknown))} in the database "
                f"(its sources: {', '.join(known) or 'none yet'})",
                path=str(db),
            )

    filters = Filters(
        label=args.label,
        min_score=args.min_score,
        since=args.since,
        until=args.until,
        sources=args.source or [],
        lang=args.lang,
        status=args.status,
        query=args.search,
    )
    import signal
    import threading

    import duckdb

    def terminated(signum: int, _frame: object) -> None:
        # SIGTERM ends the export as Ctrl-C does: its copy of the rows and its .part file are removed
        raise SystemExit(128 + signum)

    main = threading.current_thread() is threading.main_thread()  # only there can a handler be set
    previous = signal.signal(signal.SIGTERM, terminated) if main else None
    try:
        n = export_to_file(db, filters, args.format, args.out, collapse=not args.all_duplicates)
    except (duckdb.BinderException, duckdb.CatalogException) as exc:
        if not _behind_migrations(db):  # a mistake in the export's own query: let it show
            raise
        raise InputError(
            f"the database predates this version and could not be brought up to date ({str(exc).splitlines()[0]}); "
            "run any command that writes to it once (e.g. `pipeline.py status` with write access), then export",
            path=str(db),
        ) from None
    finally:
        if main:
            signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)
    _wrote(args.out, f"wrote {n} rows to {args.out}")
    return 0


def _wrote(out: Path, line: str) -> None:
    # On stderr when the export is no file but a stream (--out /dev/stdout): on stdout it would end the data.
    print(line, file=sys.stderr if out.exists() and not out.is_file() else sys.stdout)


def _behind_migrations(db: Path) -> bool:
    """Whether the file lacks schema migrations of this version (a read-only file of an older one)."""
    from store.db import reader
    from store.migrations import MIGRATIONS

    with reader(db) as con:
        done = {row[0] for row in con.execute("SELECT name FROM schema_migrations").fetchall()}
    return any(name not in done for name, _ in MIGRATIONS)


def cmd_review(args: argparse.Namespace) -> int:
    """`review`: serve the review page until interrupted."""
    from review.app import create_app
    from store.db import require_database

    db = _db(args)
    require_database(db)
    app = create_app(db, behind_https_proxy=args.behind_https_proxy, allowed_hosts=args.allowed_host)
    server = _server(args.host, args.port, app)
    if args.host not in ("127.0.0.1", "localhost", "::1") and not args.behind_https_proxy:
        print(
            f"warning: listening on {args.host}, reachable from other machines; use HTTPS in front",
            file=sys.stderr,
        )
    import signal
    import threading

    from review.export_stream import remove_unfinished, sweep_abandoned

    swept = sweep_abandoned()
    if swept:
        log.info("removed %d export folder(s) left in the temporary folder by a killed process", swept)

    def terminated(signum: int, _frame: object) -> None:
        # A service stop (SIGTERM) ends the page as Ctrl-C does: the copies of downloads under way
        # are removed (the default handler left them in the temporary folder, texts and notes in them)
        raise SystemExit(128 + signum)

    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, terminated) if main else None
    shown = f"[{args.host}]" if ":" in args.host else args.host  # a URL writes an IPv6 address so
    print(f"review page on http://{shown}:{server.server_port}/ (database {db}); Ctrl+C stops it")
    sys.stdout.flush()
    try:
        server.serve_forever()
    finally:
        server.server_close()
        remove_unfinished()
        if main:
            signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)
    return 0


def _server(host: str, port: int, app: Any) -> Any:
    """Werkzeug's threaded server on ``host:port``; InputError, one line naming them, when it cannot
    listen there (werkzeug printed two lines of its own and exited 1 for a port in use)."""
    import errno

    from werkzeug.serving import ThreadedWSGIServer

    class Server(ThreadedWSGIServer):
        def server_bind(self) -> None:
            # Werkzeug's constructor prints an OSError of this call and exits; it lets others go by.
            try:
                super().server_bind()
            except OSError as exc:
                why = exc.strerror or str(exc)
                if exc.errno == errno.EADDRINUSE:
                    why = "the port is in use by another program; stop it or give another --port"
                raise InputError(f"cannot listen on {host}:{port}: {why}") from None

    try:
        return Server(host, port, app)
    except OSError as exc:  # the address itself (a host name that does not resolve)
        raise InputError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env:
        return from_env
    if not sys.stdin.isatty():
        raise InputError(f"no password: give it at a prompt, in ${PASSWORD_ENV} or with --password-stdin")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Repeat password: "):
        raise InputError("the two passwords differ")
    return first


def cmd_user_add(args: argparse.Namespace) -> int:
    """`user add NAME`: create a reviewer."""
    from review.auth import add_user, check_username

    check_username(args.username)
    db = _db(args)
    new = not db.exists()
    add_user(db, args.username, _read_password(args))
    print(f"user {args.username} added")
    if new:  # right before the first run; after a typo in --db, a stray file
        print(f"note: there was no database at {db}; it was created for this user", file=sys.stderr)
    return 0


def _existing_db(args: argparse.Namespace) -> Path:
    """The database of a `user` action that only changes or lists reviewers: InputError, as `status`
    and `review` say, when it does not exist (opening it would create an empty one at a mistyped --db)."""
    from store.db import require_database

    db = _db(args)
    require_database(db)
    return db


def cmd_user_passwd(args: argparse.Namespace) -> int:
    """`user passwd NAME`: change a reviewer's password (their open sessions end)."""
    from review.auth import set_password

    db = _existing_db(args)  # before the password is asked for
    set_password(db, args.username, _read_password(args))
    print(f"password of {args.username} changed")
    return 0


def cmd_user_list(args: argparse.Namespace) -> int:
    """`user list`: reviewers and when they were added."""
    from review.auth import list_users

    users = list_users(_existing_db(args))
    for user in users:
        state = " (disabled)" if user["disabled"] else ""
        print(f"{user['username']}\tadded {user['created_at']:%Y-%m-%d %H:%M %Z}{state}")
    if not users:
        print("no reviewers yet; add one with: python pipeline.py user add NAME")
    return 0


def cmd_user_disable(args: argparse.Namespace) -> int:
    """`user disable NAME`: no more logins; open sessions end."""
    from review.auth import set_disabled

    set_disabled(_existing_db(args), args.username, True)
    print(f"user {args.username} disabled")
    return 0


def cmd_user_enable(args: argparse.Namespace) -> int:
    """`user enable NAME`: a disabled reviewer may log in again."""
    from review.auth import set_disabled

    set_disabled(_existing_db(args), args.username, False)
    print(f"user {args.username} enabled")
    return 0
