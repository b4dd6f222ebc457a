"""Cron slots: a source's schedule, the slot a scheduled job runs for, the first slot after a back-off.

A failing source's back-off (``source_state.next_due``) is counted from the slot its failed run was
started for, not from the end of that run: a run that takes a second would otherwise push the end of
a one-minute back-off just past the next slot, and the source would wait one cron interval more than
``backoff_base_minutes`` says (docs/OPERATIONS.md, *Source health and back-off*). A back-off that
does not fall on a slot ends in the first slot after it, which is what `status` names (the alerts'
``next_try`` is the back-off's end).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from config.sources import cron_trigger

if TYPE_CHECKING:
    from collectors.base import SourceConfig
    from config.sources import Config

FALLBACK_SCHEDULE = "*/30 * * * *"
TIMEZONE = "Asia/Almaty"


def schedule_of(source: SourceConfig, config: Config) -> str:
    """The cron line of a source: its own, else [settings] default_schedule, else every 30 minutes."""
    return source.schedule or str(config.settings.get("default_schedule") or FALLBACK_SCHEDULE)


def schedules(config: Config) -> dict[str, str]:
    """The cron line of each collected source, by name."""
    return {source.name: schedule_of(source, config) for source in config.collected()}


def trigger_for(schedule: str) -> Any:
    """The APScheduler trigger of a cron line, in the scheduler's time zone.

    Days as crontab(5) reads them: when both the day of month and the day of week are restricted
    (neither starts with ``*``), a day that matches either runs, so ``0 9 1-7 * 1`` runs on the 1st to
    the 7th and on every Monday; APScheduler alone runs only on days matching both (the Mondays among
    the 1st to the 7th). With either field ``*``, the other alone decides, as in crontab."""
    fields = schedule.split()
    if len(fields) in (5, 6) and not fields[-3].startswith("*") and not fields[-1].startswith("*"):
        from apscheduler.triggers.combining import OrTrigger

        by_month_day = " ".join([*fields[:-1], "*"])
        by_week_day = " ".join([*fields[:-3], "*", *fields[-2:]])
        return OrTrigger([cron_trigger(by_month_day, TIMEZONE), cron_trigger(by_week_day, TIMEZONE)])
    return cron_trigger(schedule, TIMEZONE)


def slot_at(trigger: Any, now: datetime, grace: timedelta) -> datetime:
    """The slot a job that starts at ``now`` runs for: the latest fire time of ``trigger`` at or before
    ``now`` and no older than ``grace`` (``misfire_grace_seconds``: APScheduler runs no older slot);
    ``now`` itself when there is none (a job started by hand). In UTC, as the runs' times are."""
    slot = trigger.get_next_fire_time(None, now - grace)
    if slot is None or slot > now:
        return now
    # Fire times are whole seconds; a window of misfire_grace_seconds holds few of them.
    while (
        later := trigger.get_next_fire_time(None, slot + timedelta(seconds=1))
    ) is not None and later <= now:
        slot = later
    return slot.astimezone(UTC)


def first_slot(trigger: Any, when: datetime) -> datetime | None:
    """The first fire time of ``trigger`` at or after ``when``, in UTC (None: it never fires again)."""
    slot = trigger.get_next_fire_time(None, when)
    return slot.astimezone(UTC) if slot is not None else None


def slot_label(slot: datetime, now: datetime) -> str:
    """A slot as the operator reads it, in Asia/Almaty time: ``11:30``, ``11:30:15`` for a cron line with
    seconds, and with its date when it is not today's."""
    from collectors.dates import ALMATY

    local, today = slot.astimezone(ALMATY), now.astimezone(ALMATY)
    text = f"{local:%H:%M:%S}" if local.second else f"{local:%H:%M}"
    return text if local.date() == today.date() else f"{local:%Y-%m-%d} {text}"
