"""WhatsApp exports as months of unattended imports meet them: 12-hour clocks in Russian and Kazakh
words, a long file that is not a chat, a chat of many megabytes, a server whose tz database is old."""

from __future__ import annotations

import tracemalloc
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from testutil import WHATSAPP_SALT as SALT
from testutil import read_whatsapp as read

from collectors import dates, whatsapp
from collectors.whatsapp_entries import scan, wall_minute, wall_time
from errors import InputError


def at(hour: int, minute: int) -> datetime:
    return datetime(2026, 11, 25, hour, minute, tzinfo=timezone(timedelta(hours=5)))


@pytest.mark.parametrize(
    ("morning", "afternoon"),
    [
        ("ДП", "ПП"),
        ("до полудня", "после полудня"),  # Russian phones that spell them out
        ("До полудня", "После полудня"),
        ("түске дейін", "түстен кейін"),  # Kazakh
        ("ТД", "ТК"),
    ],
)
def test_12_hour_clocks_in_russian_and_kazakh_words(tmp_path: Path, morning: str, afternoon: str) -> None:
    path = tmp_path / "chat.txt"
    path.write_text(
        f"25.11.2026, 9:05 {morning} - Асель: Утром опять нет воды\n"
        f"25.11.2026, 12:10 {morning} - Асель: ночью тоже\n"
        f"25.11.2026, 2:35 {afternoon} - Данияр: Яма на Абая\n"
        f"25.11.2026, 12:40 {afternoon} - Данияр: в обед\n",
        encoding="utf-8",
    )
    items, errors = read(path)
    assert errors == []
    assert [(i.published_at, i.author) for i in items] == [
        (at(9, 5), "Асель"),
        (at(0, 10), "Асель"),
        (at(14, 35), "Данияр"),
        (at(12, 40), "Данияр"),
    ]
    assert items[2].text == "Яма на Абая"


def test_text_before_the_first_header_is_one_error_however_long(tmp_path: Path) -> None:
    # Notes, a log, anything but a chat, with one line at its end that reads as a header: one error for
    # the 5,000 lines before it, not 5,000 errors held, reported and stored with the run.
    path = tmp_path / "notes.txt"
    path.write_text("заметка без даты\n" * 5000 + "25.11.2026, 14:35 - Имя: текст\n", encoding="utf-8")
    items, errors = read(path)
    assert [i.text for i in items] == ["текст"]
    assert [(e.line, e.message) for e in errors] == [
        (1, "text before the first message header (lines 1 to 5000)")
    ]


def test_a_long_chat_is_read_without_holding_it_several_times(tmp_path: Path) -> None:
    # An export of hundreds of megabytes was held as its text, a list of its lines, a list of its
    # messages and every message's text again for the ids: over ten times the file in memory.
    path = tmp_path / "chat.txt"
    path.write_text(
        "".join(
            f"{1 + n % 28:02d}.11.2025, {n % 24:02d}:{n % 60:02d} - Житель {n % 50}: "
            f"Сообщение {n} о яме на дороге\nещё строка\n"
            for n in range(10_000)
        ),
        encoding="utf-8",
    )
    size = path.stat().st_size
    tracemalloc.start()
    try:
        count = sum(1 for _ in whatsapp.read_export(path, source="wa", options={"_salt": SALT}, report=print))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == 10_000
    assert peak < 6 * size  # the bytes and the text while it is decoded, then the text


def test_almaty_time_is_right_with_a_tz_database_older_than_2024(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Kazakhstan moved to UTC+5 on 2024-03-01. A server whose tz database predates that reads
    # Asia/Almaty as UTC+6: collectors.dates then uses its own rule, and imports must too.
    def stale_zoneinfo(name: str) -> tzinfo:
        return timezone(timedelta(hours=6)) if name == "Asia/Almaty" else ZoneInfo(name)

    monkeypatch.setattr(dates, "ALMATY", dates.AlmatyRule())  # what dates picks on such a server
    monkeypatch.setattr(dates, "ZoneInfo", stale_zoneinfo)
    monkeypatch.setattr(whatsapp, "ZoneInfo", stale_zoneinfo, raising=False)
    path = tmp_path / "chat.txt"
    path.write_text(
        "25.11.2025, 14:35 - Асель: после перехода\n15.01.2024, 14:35 - Асель: до перехода\n",
        encoding="utf-8",
    )
    for options in ({}, {"tz": "Asia/Almaty"}):
        items, errors = read(path, **options)
        assert errors == []
        assert [i.published_at.astimezone(UTC) for i in items if i.published_at] == [
            datetime(2025, 11, 25, 9, 35, tzinfo=UTC),
            datetime(2024, 1, 15, 8, 35, tzinfo=UTC),
        ]


@pytest.mark.parametrize(
    ("tz", "day", "before", "hour_twice", "after"),
    [
        # DST ends in Berlin: 02:00-03:00 happens at UTC+2, then again at UTC+1
        ("Europe/Berlin", "26.10.2025", "01:55", "02", "26.10.2025, 03:05"),
        # Almaty moved from UTC+6 to UTC+5 at 2024-03-01 00:00: Feb 29 23:00-24:00 happened twice
        ("Asia/Almaty", "29.02.2024", "22:55", "23", "01.03.2024, 00:05"),
    ],
)
def test_the_hour_clocks_show_twice_is_read_in_the_order_of_the_chat(
    tmp_path: Path, tz: str, day: str, before: str, hour_twice: str, after: str
) -> None:
    path = tmp_path / "chat.txt"
    path.write_text(
        f"{day}, {before} - Асель: до\n"
        f"{day}, {hour_twice}:50 - Асель: первый раз\n"
        f"{day}, {hour_twice}:10 - Данияр: второй раз\n"  # earlier on the clock, later in the chat
        f"{day}, {hour_twice}:30 - Асель: ещё во второй раз\n"
        f"{after} - Данияр: после\n",
        encoding="utf-8",
    )
    items, errors = read(path, tz=tz)
    assert errors == []
    times = [i.published_at.astimezone(UTC) for i in items if i.published_at]
    assert times == sorted(times)
    first, second, later = times[1:4]
    assert second - first == timedelta(minutes=20)  # 10 minutes to the change, 10 past it
    assert later - second == timedelta(minutes=20)
    assert times[4] - later == timedelta(minutes=35)


def test_authors_whose_names_hold_quotes_keep_their_messages(tmp_path: Path) -> None:
    # Business accounts are named so; their every message was taken for a system line and dropped.
    path = tmp_path / "chat.txt"
    path.write_text(
        "25.11.2026, 14:35 - ТОО «Алматы Су»: Плановое отключение воды на Абая до 18:00\n"
        '25.11.2026, 14:36 - ИП "Иванов": Вывоз мусора завтра\n'
        "25.11.2026, 14:37 - Асель изменил(-а) тему с «Жалобы» на «Жалобы: Медеу»\n"
        '25.11.2026, 14:38 - Асель changed the subject from "Жалобы" to "Жалобы: Медеу"\n'
        "25.11.2026, 14:39 - Асель «Жалобы» тақырыбын «Жалобы: Медеу» деп өзгертті\n"
        "25.11.2026, 14:40 - Асель: спасибо\n",
        encoding="utf-8",
    )
    items, errors = read(path)
    assert errors == []
    assert [(i.author, i.text) for i in items] == [
        ("ТОО «Алматы Су»", "Плановое отключение воды на Абая до 18:00"),
        ('ИП "Иванов"', "Вывоз мусора завтра"),
        ("Асель", "спасибо"),
    ]


def test_an_ios_poll_is_a_message_not_a_notice(tmp_path: Path) -> None:
    # iOS marks a poll with U+200E as it marks its notices; the poll and its question were dropped
    path = tmp_path / "_chat.txt"
    path.write_text(
        "[25.11.26, 14:35:12] Асель: \u200ePOLL:\n"
        "\u200eРемонтировать двор за счёт ОСИ?\n"
        "\u200eOPTION: Да (3 votes)\n"
        "\u200eOPTION: Нет (1 vote)\n"
        "[25.11.26, 14:36:00] Асель: \u200eMessages and calls are end-to-end encrypted.\n",
        encoding="utf-8",
    )
    items, errors = read(path)
    assert errors == []
    assert [i.text for i in items] == [
        "POLL:\nРемонтировать двор за счёт ОСИ?\nOPTION: Да (3 votes)\nOPTION: Нет (1 vote)"
    ]


def test_a_file_larger_than_any_chat_is_one_error_before_it_is_read(tmp_path: Path) -> None:
    # The cap a chat unpacked from a .zip has; a plain file was read whole, however large.
    path = tmp_path / "chat.txt"
    with path.open("wb") as fh:
        fh.write("25.11.2026, 14:35 - Имя: текст\n".encode())
        fh.truncate(whatsapp.MAX_MEMBER + 1)  # sparse: no disk, no time
    tracemalloc.start()
    try:
        with pytest.raises(InputError, match=r"more than the 256 MB any chat export holds") as caught:
            read(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert caught.value.path == str(path)
    assert peak < 2**20


@given(
    # naive: a header's wall clock, as wall_time reads it
    when=st.datetimes(min_value=datetime(1000, 1, 1), max_value=datetime(9999, 12, 31, 23, 59)),  # noqa: DTZ001
    order=st.sampled_from(["dmy", "mdy", "ymd"]),
    twelve_hour=st.booleans(),
)
def test_the_minute_an_id_hashes_is_the_one_ids_always_hashed(
    when: datetime, order: str, twelve_hour: bool
) -> None:
    # ids of chats imported before must not change: for every possible date, wall_minute writes what
    # wall_time(...).strftime wrote when the id was made of it
    fields = {"d": f"{when.day:02d}", "m": f"{when.month:02d}", "y": f"{when.year:04d}"}
    day = "/".join(fields[part] for part in order)
    clock = (
        f"{(when.hour % 12) or 12}:{when.minute:02d} {'PM' if when.hour >= 12 else 'AM'}"
        if twelve_hour
        else f"{when:%H:%M}"
    )
    (entry,) = scan(f"{day}, {clock} - Асель: текст\n")
    assert wall_time(entry, order) == when.replace(second=0, microsecond=0)
    assert wall_minute(entry, order) == when.strftime("%Y-%m-%dT%H:%M")
