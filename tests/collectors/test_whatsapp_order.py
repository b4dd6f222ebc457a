"""WhatsApp exports whose dates alone cannot tell day/month from month/day, and iOS names that hold ": "."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from testutil import read_whatsapp as read

NB = "\u202f"  # Android 14 and iOS 17 put a narrow no-break space before AM/PM
LRM = "\u200e"

# A US-English Android export: m/d/yy, 12-hour clock. Every day is 12 or less, and neither order
# runs backwards in time; read day first, these were February, May and September.
US_FIRST = (
    f"11/2/26, 9:00{NB}AM - Messages and calls are end-to-end encrypted. Tap to learn more.\n"
    f"11/2/26, 9:15{NB}AM - Aigerim: Hello, the road on Abay is broken again\n"
    f"11/2/26, 1:40{NB}PM - Bakhyt: Акимат не ремонтирует дорогу уже месяц\n"
    f"11/5/26, 8:05{NB}PM - Bakhyt: Взятку требуют за справку\n"
    f"11/9/26, 12:30{NB}PM - Aigerim: Қалай? Кім талап етті?\n"
)
# the same chat exported later: a day above 12 tells the order
US_LATER = (
    US_FIRST + f"11/16/26, 10:00{NB}AM - Bakhyt: Новое сообщение\n11/20/26, 11:59{NB}PM - Aigerim: Ещё одно\n"
)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.WARNING and "date_order" in r.getMessage()
    ]


def test_a_us_export_whose_days_are_all_12_or_less_is_read_month_first_with_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    first = _write(tmp_path, "first.txt", US_FIRST)
    items, errors = read(first)
    assert errors == []
    assert [i.raw["wall_time"] for i in items] == [
        "2026-11-02T09:15:00",
        "2026-11-02T13:40:00",
        "2026-11-05T20:05:00",
        "2026-11-09T12:30:00",
    ]
    (warning,) = _warnings(caplog)
    assert str(first) in warning and "month/day" in warning and 'date_order = "dmy"' in warning
    # the longer export, whose 11/16 tells the order, gives the same messages the same ids: no duplicates
    later, _ = read(_write(tmp_path, "later.txt", US_LATER))
    assert {i.external_id for i in items} < {i.external_id for i in later}
    assert len(later) == 6
    # forced, the file is read as told, and nothing is assumed
    caplog.clear()
    forced, _ = read(first, date_order="dmy")
    assert forced[0].raw["wall_time"] == "2026-02-11T09:15:00"
    assert _warnings(caplog) == []
    # nor when the dates tell: dotted dates (day first in every locale that writes them), a day above
    # 12, one order running backwards in time
    told = {
        "11.02.26, 09:15 - A: один\n11.05.26, 13:40 - B: два\n": "2026-02-11T09:15:00",
        "11/20/26, 9:15 AM - A: один\n": "2026-11-20T09:15:00",
        "05/03/2026, 09:15 - A: один\n04/06/2026, 13:40 - B: два\n": "2026-03-05T09:15:00",
    }
    for text, wall_time in told.items():
        items, _ = read(_write(tmp_path, "told.txt", text))
        assert items[0].raw["wall_time"] == wall_time
    assert _warnings(caplog) == []


@pytest.mark.parametrize(
    ("lines", "wall_time"),
    [
        # one day only: nothing in the times tells; a capital AM/PM is the US-English Android clock
        (
            [f"11/2/26, 9:15{NB}AM - Aigerim: один", f"11/2/26, 1:40{NB}PM - Bakhyt: два"],
            "2026-11-02T09:15:00",
        ),
        # but not the iOS one: iPhones in British and Indian English write day first with AM/PM
        (
            ["[11/2/26, 9:15:02 AM] Aigerim: один", "[11/2/26, 1:40:10 PM] Bakhyt: два"],
            "2026-02-11T09:15:02",
        ),
        (
            ["[05/03/2026, 9:15:00 AM] Asel: one", "[05/03/2026, 1:40:00 PM] Bakhyt: two"],
            "2026-03-05T09:15:00",
        ),
        # British, Indian, Australian English: d/m with a 24-hour clock or a lower-case am/pm
        (
            ["11/02/2026, 09:15 - Aigerim: один", "11/02/2026, 13:40 - Bakhyt: два"],
            "2026-02-11T09:15:00",
        ),
        (
            [f"11/2/26, 9:15{NB}am - Aigerim: один", f"11/2/26, 1:40{NB}pm - Bakhyt: два"],
            "2026-02-11T09:15:00",
        ),
        # slash dates of a 24-hour clock on three dates or more read in the order under which they lie
        # ten times closer: a few days apart in one month read d/m, months apart read m/d
        (
            ["03/11/2026, 09:15 - A: один", "05/11/2026, 13:40 - B: два", "09/11/2026, 10:00 - A: три"],
            "2026-11-03T09:15:00",
        ),
        (
            ["11/03/2026, 09:15 - A: один", "11/05/2026, 13:40 - B: два", "11/09/2026, 10:00 - A: три"],
            "2026-11-03T09:15:00",
        ),
        # two dates cannot tell: 5 Mar and 5 Apr would be 3 and 4 May read month first, as 11 Mar and
        # 11 May would be 3 and 5 Nov; read d/m, as every file of them was before
        (["05/03/2026, 09:15 - A: один", "05/04/2026, 13:40 - B: два"], "2026-03-05T09:15:00"),
        (["11/03/2026, 09:15 - A: один", "11/05/2026, 13:40 - B: два"], "2026-03-11T09:15:00"),
        # nor do three on one day of the month whose times lie but a few times closer read m/d
        (
            ["10/01/2026, 09:00 - A: один", "10/03/2026, 10:00 - B: два", "11/05/2026, 11:00 - A: три"],
            "2026-01-10T09:00:00",
        ),
    ],
)
def test_the_order_of_dates_that_cannot_tell_is_taken_from_the_clock_and_the_chronology(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, lines: list[str], wall_time: str
) -> None:
    caplog.set_level(logging.WARNING)
    items, errors = read(_write(tmp_path, "chat.txt", "\n".join(lines) + "\n"))
    assert errors == []
    assert items[0].raw["wall_time"] == wall_time
    assert len(_warnings(caplog)) == 1  # the file cannot tell: what was assumed is said


def test_ios_notices_of_a_group_whose_name_holds_a_colon_are_no_messages(tmp_path: Path) -> None:
    # iOS writes a group's notices as messages of the group, the text after U+200E; «Жалобы: Медеу»
    # split at its first ": " made them messages of «Жалобы»
    chat = _write(
        tmp_path,
        "_chat.txt",
        f"[25.11.2026, 14:30:01] Жалобы: Медеу: {LRM}Сообщения и звонки защищены сквозным шифрованием.\n"
        f"{LRM}[25.11.2026, 14:30:05] Жалобы: Медеу: {LRM}Айгерим присоединился(-ась) к группе\n"
        f"[25.11.2026, 14:31:00] ИП Иванов: ремонт: {LRM}<attached: 00000012-PHOTO.jpg>\n"
        "[25.11.2026, 14:33:00] Айгерим: Адрес: Абай 150\n",
    )
    items, errors = read(chat)
    assert errors == []
    assert [(i.author, i.text, i.raw.get("media")) for i in items] == [
        # only the name of the encryption notice that opens the file is a group's: any other line is split
        # at its first ": ", as before (review R3B: a typed mark after a colon lost the message)
        ("ИП Иванов", "ремонт: <attached: 00000012-PHOTO.jpg>", None),
        ("Айгерим", "Адрес: Абай 150", None),
    ]


@pytest.mark.parametrize(
    "body",
    [
        # the first line, a person's, with a mark typed after a colon (an export of a cleared chat)
        f"[05.03.26, 09:01:00] Асель: Номер диспетчера: {LRM}+7 727 123 4567\n"
        "[05.03.26, 09:02:00] Марат: Спасибо\n",
        # twice, by someone who writes nothing else
        "[05.03.26, 09:00:00] Марат: Чей номер?\n"
        f"[05.03.26, 09:01:00] Асель: Номер: {LRM}+7 727 123 4567\n"
        f"[05.03.26, 09:02:00] Асель: Номер: {LRM}+7 727 765 4321\n",
    ],
)
def test_a_mark_typed_after_a_colon_keeps_the_message(tmp_path: Path, body: str) -> None:
    items, errors = read(_write(tmp_path, "_chat.txt", body))
    assert errors == []
    assert [(i.author, i.text) for i in items if i.author == "Асель"] == [
        ("Асель", line.split("Асель: ", 1)[1].replace(LRM, ""))
        for line in body.splitlines()
        if "Асель: " in line
    ]


def test_an_ios_edited_message_ending_with_a_colon_is_its_authors_message(tmp_path: Path) -> None:
    # iOS writes " U+200E<This message was edited>" after the text: after «такой:» that is ": U+200E",
    # which split there dropped the message as a notice of «Асель: Список такой»
    chat = _write(
        tmp_path,
        "_chat.txt",
        "[25.11.2026, 14:30:01] Асель: Привет\n"
        f"[25.11.2026, 14:38:00] Асель: Список такой: {LRM}<This message was edited>\n"
        "[25.11.2026, 14:39:00] Асель: Список такой: хлеб\n",
    )
    items, errors = read(chat)
    assert errors == []
    assert [(i.author, i.text, i.raw.get("edited")) for i in items] == [
        ("Асель", "Привет", None),
        ("Асель", "Список такой:", True),
        ("Асель", "Список такой: хлеб", None),
    ]


@pytest.mark.parametrize(
    ("name", "header"),
    [("chat.txt", "25.11.2026, 14:3{} - "), ("_chat.txt", "[25.11.2026, 14:3{}:00] ")],
    ids=["android", "ios"],
)
def test_a_typed_mark_after_a_colon_keeps_its_message_and_author(
    tmp_path: Path, name: str, header: str
) -> None:
    # a U+200E typed or pasted after «акимата: » dropped the message as a notice and taught the name
    # «Асель: Телефон акимата», which then took Асель's later messages; on Android no line has the mark,
    # on iOS Асель writes a line of her own (its first ": " after her name, no mark), so the name is Асель
    chat = _write(
        tmp_path,
        name,
        header.format(0)
        + f"Асель: Телефон акимата: {LRM}+7 727 271 6500\n"
        + header.format(1)
        + "Асель: Телефон акимата: не отвечает\n",
    )
    items, errors = read(chat)
    assert errors == []
    assert [(i.author, i.text) for i in items] == [
        ("Асель", "Телефон акимата: +7 727 271 6500"),
        ("Асель", "Телефон акимата: не отвечает"),
    ]


@pytest.mark.parametrize(
    "head",
    [
        "[05.03.2026, 09:01:00] Марат: Кто знает номер диспетчера?\n",
        # in a group whose name holds ": ", whose notices are still skipped
        f"[05.03.2026, 09:00:00] Жалобы: Медеу: {LRM}Сообщения и звонки защищены сквозным шифрованием.\n"
        f"[05.03.2026, 09:00:30] Жалобы: Медеу: {LRM}Асель добавил(-а) Марат\n"
        "[05.03.2026, 09:01:00] Марат: Кто знает номер диспетчера?\n",
    ],
    ids=["chat", "group"],
)
def test_an_ios_writer_of_one_line_with_a_typed_mark_after_a_colon_keeps_it(
    tmp_path: Path, head: str
) -> None:
    # Асель writes nothing else, so her first part wrote no line of its own: «Асель: Номер диспетчера»
    # was learnt as a name and the message dropped as its notice. Only the file's first line (a group's
    # encryption notice), a media line or two such lines teach a name with ": "
    chat = _write(
        tmp_path,
        "_chat.txt",
        head + f"[05.03.2026, 09:02:00] Асель: Номер диспетчера: {LRM}+7 727 123 4567\n",
    )
    items, errors = read(chat)
    assert errors == []
    assert [(i.author, i.text) for i in items] == [
        ("Марат", "Кто знает номер диспетчера?"),
        ("Асель", "Номер диспетчера: +7 727 123 4567"),
    ]


def test_a_chat_whose_phone_changed_language_reads_its_dotted_dates_day_first(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # ten Russian lines, then twenty US-English ones: the slash dates, closer read month first, made the
    # dotted ones month first too (1 March read 3 January)
    caplog.set_level(logging.WARNING)
    lines = [f"{d:02d}.03.2026, 10:{d:02d} - Асель: Нет воды {d}" for d in range(1, 11)]
    for d in range(1, 11):
        lines += [f"4/{d}/26, 9:{d:02d} AM - Марат: Still {d}", f"4/{d}/26, 3:{d:02d} PM - Асель: ok {d}"]
    items, errors = read(_write(tmp_path, "chat.txt", "\n".join(lines) + "\n"))
    assert errors == []
    walls = [i.raw["wall_time"] for i in items]
    assert walls[:10] == [f"2026-03-{d:02d}T10:{d:02d}:00" for d in range(1, 11)]
    assert walls[10:12] == ["2026-04-01T09:01:00", "2026-04-01T15:01:00"]
    assert walls[-1] == "2026-04-10T15:10:00"
    (warning,) = _warnings(caplog)
    assert "month/day" in warning


def test_an_android_message_starting_with_a_typed_mark_is_a_message(tmp_path: Path) -> None:
    # iOS writes its notices after U+200E; Android never does, so a typed or pasted one was dropped
    chat = _write(
        tmp_path,
        "chat.txt",
        "05.03.2026, 09:00 - Сообщения и звонки защищены сквозным шифрованием.\n"
        f"05.03.2026, 09:01 - Асель: {LRM}Нет воды третий день\n"
        f"05.03.2026, 09:04 - Дана: {LRM}+7 701 000 0000 звоните\n",
    )
    items, errors = read(chat)
    assert errors == []
    assert [(i.author, i.text) for i in items] == [
        ("Асель", "Нет воды третий день"),
        ("Дана", "+7 701 000 0000 звоните"),
    ]


def test_a_group_export_cut_before_its_opening_notice_still_names_its_group(tmp_path: Path) -> None:
    # review R4: iOS keeps a long chat's last messages only, so the encryption notice may be missing; the
    # group «Жалобы: Медеу»'s notices were stored as messages of «Жалобы»
    chat = _write(
        tmp_path,
        "_chat.txt",
        f"[25.11.2026, 14:30:05] Жалобы: Медеу: {LRM}Асель добавил(а) Бауыржан\n"
        "[25.11.2026, 14:31:00] Марат: Нет света\n"
        f"[25.11.2026, 14:32:00] Жалобы: Медеу: {LRM}Бауыржан вышел(-ла)\n",
    )
    items, errors = read(chat)
    assert errors == []
    assert [(i.author, i.text) for i in items] == [("Марат", "Нет света")]
