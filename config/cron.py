"""Cron lines of sources.toml as crontab(5) reads them, checked when the file loads
(:func:`validate_cron`) and made APScheduler triggers (:func:`cron_trigger`): weekday numbers as
crontab counts them (0 and 7 Sunday, a step counted from Sunday), a line that never fires refused."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from errors import ConfigError


def validate_cron(expr: Any, *, where: str | None, source: str | None = None, key: str = "schedule") -> None:
    """Raise ConfigError unless ``expr`` is a cron expression (5 fields, or 6 with seconds first)."""
    if not isinstance(expr, str):
        raise ConfigError(
            f'{key} must be a cron string such as "*/30 * * * *", got {expr!r}', path=where, source=source
        )
    fields = expr.split()
    lines = [expr]
    if len(fields) in (5, 6) and not fields[-3].startswith("*") and not fields[-1].startswith("*"):
        # both days restricted: crontab (and ops.slots.trigger_for) runs on a day matching either
        lines = [" ".join([*fields[:-1], "*"]), " ".join([*fields[:-3], "*", *fields[-2:]])]
    try:
        triggers = [cron_trigger(line) for line in lines]
    except ValueError as exc:
        raise ConfigError(
            f"bad cron expression {expr!r} in {key}: {exc}", path=where, source=source
        ) from None
    if all(
        trigger.get_next_fire_time(None, datetime.now(UTC)) is None for trigger in triggers
    ):  # "0 0 30 2 *": logged as scheduled, never run
        raise ConfigError(
            f"cron expression {expr!r} in {key} never fires (no such date)", path=where, source=source
        )


def cron_trigger(expr: str, timezone: str = "Asia/Almaty") -> Any:
    """An APScheduler CronTrigger for a 5-field cron line, or a 6-field one whose first field is seconds."""
    from apscheduler.triggers.cron import CronTrigger

    fields = expr.split()
    if len(fields) == 5:
        minute, hour, day, month, dow = fields
        return CronTrigger(
            minute=minute, hour=hour, day=day, month=month, day_of_week=_crontab_days(dow), timezone=timezone
        )
    if len(fields) == 6:
        second, minute, hour, day, month, dow = fields
        return CronTrigger(
            second=second,
            minute=minute,
            hour=hour,
            day=day,
            month=month,
            day_of_week=_crontab_days(dow),
            timezone=timezone,
        )
    raise ValueError(f"expected 5 fields (or 6 with seconds first), got {len(fields)}")


_CRON_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _crontab_days(field: str) -> str:
    """Crontab weekday numbers (0 or 7 = Sunday) as names: APScheduler counts 0 as Monday."""

    def name(token: str) -> str:
        if token.isdigit():
            if int(token) > 7:
                raise ValueError(f"day of week {token} is out of range 0-7")
            return _CRON_DAYS[int(token)]
        return token

    parts = []
    for part in field.split(","):
        span, slash, step = part.partition("/")
        first, _, last = span.partition("-")
        if (
            slash
            and step.isdigit()
            and int(step) > 0
            and (span == "*" or (first.isdigit() and last.isdigit()))
        ):
            # crontab counts a step from Sunday (0): «*/2» is Sunday, Tuesday, Thursday, Saturday, where
            # APScheduler's week starts on Monday and would run Monday, Wednesday, Friday, Sunday
            low, high = (0, 6) if span == "*" else (int(first), int(last))
            days = [name(str(day)) for day in range(low, high + 1, int(step))]
            parts.extend(dict.fromkeys(days))
            continue
        if "-" in span:
            first, last = span.split("-", 1)
            if first.isdigit() and last.isdigit() and (int(first) == 0 or int(last) == 7):
                # Sunday at an end of the range: APScheduler's week runs Monday to Sunday, so split it.
                if slash:
                    raise ValueError(
                        f"a step over a range that starts or ends on Sunday is not supported: {part!r}"
                    )
                low, high = max(int(first), 1), min(int(last), 6)
                span = ",".join(([f"{name(str(low))}-{name(str(high))}"] if low <= high else []) + ["sun"])
            else:
                span = f"{name(first)}-{name(last)}"
        else:
            span = name(span)
        parts.append(span + (slash + step if slash else ""))
    return ",".join(parts)
