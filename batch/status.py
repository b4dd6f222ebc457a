"""`status`: the last run, counts and health of each source, read-only."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from batch.source_lock import ended_holder
from config.sources import Config
from ops.health import clock_ran_ahead, next_try, sources_needing_attention
from ops.slots import schedules, slot_label
from review.quality import quality_lines
from review.second_look import review_summary
from store import runs as runlog
from store.db import reader

NAME_WIDTH = 60  # the widest source column of `status`: a longer name is cut, with an ellipsis


def _fit(name: str, width: int) -> str:
    """``name``, cut to ``width`` characters with an ellipsis at the end when longer."""
    return name if len(name) <= width else name[: width - 1] + "…"


def _ago(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "never"
    seconds = (now - when).total_seconds()
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if abs(seconds) >= size:
            return f"{seconds / size:.0f}{unit} ago" if seconds >= 0 else f"in {-seconds / size:.0f}{unit}"
    return f"{seconds:.0f}s ago" if seconds >= 0 else f"in {-seconds:.0f}s"


def _shorten(text: str, limit: int = 200) -> str:
    """Cut the middle of a long error (usually a URL), keeping the message at its end: what to do."""
    if len(text) <= limit:
        return text
    return text[: limit // 3] + " ... " + text[-(limit - limit // 3 - 5) :]


def _classifier_line(config: Config, scored_by: dict[str, int]) -> tuple[str, bool]:
    """Which model `run` scores with, and how many stored scores came from another one; and whether it
    can be loaded."""
    from classify.model import DEFAULT_MODEL, load_model
    from errors import ModelError

    path = config.settings.get("model") or DEFAULT_MODEL
    try:
        version = load_model(path).version
    except (ImportError, ModelError) as exc:
        return f"classifier: cannot be loaded, new items wait unclassified: {exc}", False
    others = {v: n for v, n in scored_by.items() if v != version}
    line = f"classifier: model {version} ({path}), {scored_by.get(version, 0)} items scored by it"
    if others:
        line += (
            f"; {sum(others.values())} scored by {len(others)} other version{'s' if len(others) > 1 else ''}"
            " (python pipeline.py reclassify re-scores them)"
        )
    return line, True


def _not_configured(rows: list[tuple], now: datetime) -> list[str]:
    """One line per source the database holds that sources.toml does not name (removed, renamed, or an
    import under a misspelt --source): its failure is no one's to fix, and a rename shows here."""
    lines = []
    for name, kind, started, status, *_, items, _only in rows:
        last = f"last run {_ago(started, now)}, {status}" if started else "no run"
        what = f" ({kind})" if kind else ""
        lines.append(f"  {name}{what}: {last}; {items} items")
    return lines


def print_status(config: Config, db: Path, *, last_runs: int = 0, now: datetime | None = None) -> int:
    """Print a table of sources; exit status 1 when any configured source's last run failed (a run
    stopped on request, ``aborted``, is not a failure), or when items wait for a classifier that cannot
    be loaded. Sources the database holds but sources.toml does not name are listed apart, and do not
    count."""
    now = now or datetime.now(UTC)
    with reader(db) as con:
        rows = con.execute(
            """
            WITH last AS (
                SELECT * FROM runs QUALIFY row_number() OVER (PARTITION BY source ORDER BY run_id DESC) = 1
            ), counts AS (SELECT source, count(*) AS items FROM items GROUP BY source),
            imported AS (SELECT source, bool_and(kind LIKE 'import:%') AS only FROM runs GROUP BY source)
            SELECT coalesce(l.source, s.source, c.source) AS source, l.kind, l.started_at, l.status,
                   l.fetched, l.new, l.updated, l.problems, l.error, s.last_success,
                   coalesce(s.consecutive_failures, 0), s.next_due, coalesce(c.items, 0),
                   coalesce(m.only, false)
            FROM last l FULL JOIN source_state s USING (source) FULL JOIN counts c USING (source)
                 LEFT JOIN imported m ON m.source = coalesce(l.source, s.source, c.source)
            ORDER BY 1
            """
        ).fetchall()
        unclassified = con.execute(
            "SELECT count(*) FROM items i LEFT JOIN classifications c USING (source, external_id) "
            "WHERE c.content_hash IS DISTINCT FROM i.content_hash"
        ).fetchone()[0]
        flagged = con.execute("SELECT count(*) FROM flagged").fetchone()[0]
        scored_by = dict(
            con.execute("SELECT model_version, count(*) FROM classifications GROUP BY 1").fetchall()
        )
        reviewing = review_summary(con)
        judged = quality_lines(con)
        silent = {
            health.source: health
            for health, reason in sources_needing_attention(con, 0, config.silent_hours(), now)
            if reason == "silent"
        }
        recent = (
            con.execute(
                "SELECT run_id, source, status, started_at, fetched, new, updated, error FROM runs "
                "ORDER BY run_id DESC LIMIT ?",
                [last_runs],
            ).fetchall()
            if last_runs
            else []
        )
    # without a sources.toml read, nothing says a source was removed: every one counts (review RV5)
    configured = {s.name for s in config.sources} if config.path is not None else {r[0] for r in rows}
    gone = [r for r in rows if r[0] not in configured]
    rows = [r for r in rows if r[0] in configured]
    known = {r[0] for r in rows}
    collected = {s.name for s in config.collected()}
    for source in config.sources:
        if source.name not in known:
            # a source of an import-only kind is filled by `import`: it is never "run"
            never = "never run" if source.name in collected else "-"
            rows.append((source.name, source.kind, None, never, 0, 0, 0, 0, None, None, 0, None, 0, False))
    # the source column as wide as its longest name, from 24 up to NAME_WIDTH (longer ones are cut)
    width = max(24, min(NAME_WIDTH, max((len(r[0]) for r in rows), default=0)))
    header = f"{'source':<{width}} {'last run':<12} {'status':<10} {'fetched':>7} {'new':>6} {'upd':>5} {'fails':>5} {'items':>8}  note"
    print(header)
    print("-" * len(header))
    bad = 0
    longest = config.longest_backoff()
    cron = schedules(config)
    for (
        name,
        kind,
        started,
        status,
        fetched,
        new,
        updated,
        problems,
        error,
        last_ok,
        fails,
        due,
        items,
        imports_only,
    ) in rows:
        note = []
        if kind and kind.startswith("import:"):  # the last run was an import: say which
            note.append(f"imported ({kind.removeprefix('import:')})")
        elif kind and status == "-":
            note.append("never imported (filled by `import`)")
        if status in runlog.FAILED:
            bad += 1
        if status == "running" and (pid := ended_holder(db, name)) is not None:
            note.append(f"its process ended (pid {pid}); the next run marks it aborted")
        if error:
            note.append(_shorten(error.replace(f"source {name}: ", "", 1)))
        if problems:
            note.append(f"{problems} skipped")
        # as the scheduler reads it: a back-off that has ended says nothing; the try is the first slot
        # of the source's schedule after it, not the end of the back-off itself
        if fails and (until := next_try(due, now, longest, cron.get(name))) is not None:
            slot = f" (its {slot_label(until, now)} slot, Almaty time)" if name in cron else ""
            note.append(f"backing off, next try {_ago(until, now)}{slot}")
        elif fails and clock_ran_ahead(due, now, longest):
            note.append("back-off set by a clock that ran ahead: runs at its next slot")
        if last_ok and status not in {"ok", "partial"}:
            note.append(f"last success {_ago(last_ok, now)}")
        if name in silent:
            newest = silent[name].last_new_item
            note.append(
                f"silent: no new item since {_ago(newest, now)}"
                if newest
                else "silent: never brought an item"
            )
        # imports count no failures in a row (nor back off): a 0 beside a failed import misled
        failures = "-" if imports_only or status == "-" else str(fails)
        print(
            f"{_fit(name, width):<{width}} {_ago(started, now):<12} {status or '-':<10} {fetched or 0:>7} {new or 0:>6} "
            f"{updated or 0:>5} {failures:>5} {items:>8}  {'; '.join(note)}"
        )
    if gone:
        print("\nnot in sources.toml (removed, renamed, or imported under another name; not counted):")
        print("\n".join(_not_configured(gone, now)))
    print(f"\nflagged items: {flagged}; items waiting for classification: {unclassified}")
    classifier, loaded = _classifier_line(config, scored_by)
    print(classifier)
    if unclassified and not loaded:
        bad += 1
    unset = config.unset_variables(os.environ)
    if unset:
        print("environment (of this shell; a service manager may give `schedule` its own):")
        for line in unset:
            print(f"  {line}")
    print(reviewing)
    for line in judged:
        print(line)
    if recent:
        from collectors.dates import ALMATY

        print("\nlast runs (Asia/Almaty time):")
        for run_id, source, status, started, fetched, new, updated, error in recent:
            local = (started if started.tzinfo else started.replace(tzinfo=UTC)).astimezone(ALMATY)
            print(
                f"  #{run_id} {local:%Y-%m-%d %H:%M:%S} {source}: {status}, fetched {fetched}, new {new}, "
                f"updated {updated}{' - ' + error if error else ''}"
            )
    return 1 if bad else 0
