"""The visits of a ``portal`` run (collectors/portal.py) that a stop or the run's deadline cut short.

A cut visit is undone (its entry and the client's validators as before it) and counted in the
cursor's ``cut`` (``{url: cuts}``; the runner saves the cursor after a deadline, not after a stop).
The next run visits the articles it names after the others and the rechecks, so one slow page does
not hold back every later visit (review: a page slower than ``max_run_seconds`` was first again every
run, and nothing after it was ever read). At :data:`MAX_CUTS` cuts the article is reported once, as
one of the run's problems, and left to the recheck policy as a page that failed is.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from collectors.portal_run import PortalRun

log = logging.getLogger(__name__)

MAX_CUTS = 3  # cuts in a row before an article's visit is given up until its next recheck
_KEY = "cut"


def _cuts(state: dict[str, Any]) -> dict[str, int]:
    cuts = state.get(_KEY)
    if not isinstance(cuts, dict):
        cuts = state[_KEY] = {}
    return cuts


def cut_last(state: dict[str, Any], order: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
    """The run's visits (URL, whether known), those a deadline cut before after all the others."""
    cuts = _cuts(state)
    return [v for v in order if v[0] not in cuts] + [v for v in order if v[0] in cuts]


def undo(
    run: PortalRun,
    known: dict[str, dict[str, Any]],
    url: str,
    before: dict[str, Any] | None,
    validators: dict,
) -> None:
    """Forget a visit a stop cut short: its entry and the client's validators as before it (a validator
    kept for its page would answer 304 to the next run, which would never read the article); count the
    cut, and at :data:`MAX_CUTS` report the article and leave it (see the module)."""
    if before is not None:
        known[url] = before
    run.ctx.http.validators.clear()
    run.ctx.http.validators.update(validators)
    cuts = _cuts(run.ctx.state)
    cuts[url] = int(cuts.get(url, 0)) + 1
    if cuts[url] < MAX_CUTS:
        return
    del cuts[url]
    now_text = run.ctx.now.isoformat()
    line = (
        f"{url}: its visit was cut by the end of the run {MAX_CUTS} times in a row (a page slower than "
        f"max_run_seconds allows?); left until its next recheck"
    )
    log.info("source %s: %s", run.ctx.source.name, line)  # reported with the run, as in PortalRun.fail
    run.errors.append(line[:400])
    if before is None:  # retried by the recheck policy, as a broken page is, not every run
        known[url] = {"id": None, "published": None, "first_seen": now_text, "checked": now_text}
    else:
        known[url]["checked"] = now_text


def leave(run: PortalRun, known: dict[str, dict[str, Any]], rest: list[tuple[str, bool]]) -> None:
    """Say once how many of the run's visits a stop (or the run's deadline) left for the next run: new
    articles stay out of ``known`` (the cursor's ``waiting`` keeps them), known ones stay due."""
    new = sum(1 for url, is_known in rest if not is_known and url not in known)
    rechecks = sum(1 for _url, is_known in rest if is_known)
    if new or rechecks:  # none: the visit cut was the last one, given up (:func:`undo`)
        run.left_for_next(new, rechecks)


def prune_cuts(state: dict[str, Any], known: dict[str, dict[str, Any]], now: datetime) -> None:
    """At the end of a run: forget the cuts of articles visited in full this run, or no longer waiting
    nor known."""
    waiting = {str(pair[0]) for pair in state.get("waiting", [])}
    now_text = now.isoformat()
    cuts = _cuts(state)
    for url in list(cuts):
        entry = known.get(url)
        if (entry is None and url not in waiting) or (entry is not None and entry.get("checked") == now_text):
            del cuts[url]
    if not cuts:
        del state[_KEY]
