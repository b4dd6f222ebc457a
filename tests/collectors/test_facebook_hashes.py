"""The facebook collector hands over only posts and comments new or changed since it last read them:
the cursor's ``hashes`` (collectors/facebook_hashes.py), against our Graph API emulator on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from testutil import run_cli, store_rows

from collectors import facebook, facebook_hashes
from collectors.base import CollectContext, SourceConfig
from collectors.facebook_hashes import ReadHashes
from collectors.http import HttpClient
from collectors.item import Item
from demo.graph_emulator import GraphEmulator, serve

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "facebook"
PAGE = "104857600123"
TOKEN = "EAAGhashesTOKENk2mQ"
NOW = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch) -> GraphEmulator:
    monkeypatch.setenv("FB_TEST_TOKEN", TOKEN)
    return GraphEmulator(token=TOKEN)


@pytest.fixture
def page(emulator: GraphEmulator) -> Iterator[str]:
    """The fixture page (8 posts, 17 comments and replies) served; yields the Graph root URL."""
    emulator.load(json.loads((FIXTURES / "page.json").read_text(encoding="utf-8")))
    with serve(emulator) as base:
        yield base


def collect(base: str, state: dict[str, Any], now: datetime = NOW, **options: Any) -> list[Item]:
    """One collect() run; ``state`` is the cursor it reads and writes."""
    opts = {"page_id": PAGE, "graph_url": base + "/v25.0", "token_env": "FB_TEST_TOKEN", **options}
    http = HttpClient(min_delay=0.0, sleep=lambda _: None, source="dept-fb")
    ctx = CollectContext(
        source=SourceConfig(name="dept-fb", kind="facebook", options=opts),
        http=http,
        state=state,
        last_success=None,
        now=now,
    )
    try:
        return list(facebook.collect(ctx))
    finally:
        http.close()


def texts(items: list[Item]) -> set[tuple[str, str]]:
    return {(i.external_id, i.text) for i in items}


def find(emulator: GraphEmulator, what: str, words: str) -> str:
    rows = emulator.posts if what == "post" else emulator.comments
    return next(key for key, row in rows.items() if row["message"] and words in row["message"])


def test_what_is_read_again_unchanged_is_not_handed_over(page: str, emulator: GraphEmulator) -> None:
    state: dict[str, Any] = {}
    assert len(collect(page, state)) == 25
    # Every run re-read the comments of the week's posts and handed them over again: 18 items a run
    # on an unchanged page, which `runs.fetched` counted as activity.
    assert collect(page, state, NOW + timedelta(hours=1)) == []
    young = find(emulator, "post", "Самал-2")
    edited = find(emulator, "comment", "Спасибо, что реагируете")
    new = emulator.add_comment(young, "Жөндеу сапасыз, қайта тексеріңіз.", NOW + timedelta(hours=1))
    emulator.edit_comment(edited, "Спасибо, что реагируете. Яма у подъезда №3 тоже.")
    emulator.edit_post(young, "Ямы вокруг люков (обновлено).", NOW + timedelta(hours=1))
    assert texts(collect(page, state, NOW + timedelta(hours=2))) == {
        (new, "Жөндеу сапасыз, қайта тексеріңіз."),
        (edited, "Спасибо, что реагируете. Яма у подъезда №3 тоже."),
        (young, "Ямы вокруг люков (обновлено)."),
    }
    # an edit undone is a change again: the store holds the edited text
    emulator.edit_comment(edited, "Спасибо, что реагируете.")
    assert texts(collect(page, state, NOW + timedelta(hours=3))) == {(edited, "Спасибо, что реагируете.")}
    # a day later the older posts' comments are read again (comment_recheck): only the new one comes
    old = find(emulator, "post", "Береке")
    late = emulator.add_comment(old, "Воды так и нет, прошёл месяц.", NOW + timedelta(hours=4))
    assert texts(collect(page, state, NOW + timedelta(hours=25))) == {(late, "Воды так и нет, прошёл месяц.")}


def test_a_page_silent_for_months_hands_nothing_over_again(emulator: GraphEmulator) -> None:
    # The feed window reaches back to the newest post, so a silent page lists it in every run and reads
    # its comments; the post is past every comment_recheck band, yet its hashes are kept.
    emulator.add_page(PAGE, "Департамент")
    post = emulator.add_post(PAGE, "Приём граждан переносится.", NOW - timedelta(days=100))
    top = emulator.add_comment(post, "На какой день?", NOW - timedelta(days=99))
    emulator.add_comment(post, "На пятницу.", NOW - timedelta(days=99), parent=top)
    state: dict[str, Any] = {}
    with serve(emulator) as base:
        assert len(collect(base, state)) == 3
        assert collect(base, state, NOW + timedelta(hours=1)) == []
        requests = [path for path, _ in emulator.requests]
        assert requests.count(f"/v25.0/{post}/comments") == 2  # read again, not handed over


@pytest.mark.parametrize("saved", [None, "x", [1, 2], {"a": "not a list"}, {"a": [1, None]}])
def test_a_cursor_without_hashes_or_with_a_bad_value_hands_over_once(page: str, saved: Any) -> None:
    state: dict[str, Any] = {}
    first = collect(page, state)
    if saved is None:
        del state["hashes"]  # a cursor written before they were kept
    else:
        state["hashes"] = saved
    again = collect(page, state, NOW + timedelta(hours=1))
    assert len(again) == 18 and {i.external_id for i in again} <= {i.external_id for i in first}
    assert collect(page, state, NOW + timedelta(hours=2)) == []


def test_the_hashes_kept_are_bounded_whole_posts_newest_first(
    emulator: GraphEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(facebook_hashes, "MAX_HASHES", 10)
    emulator.add_page(PAGE, "Департамент")
    posts = {}
    for n, comments in enumerate((3, 7, 2, 1)):  # with the post itself: 4, 8, 3 and 2 hashes
        post = emulator.add_post(PAGE, f"Пост {n}", NOW - timedelta(hours=n + 1))
        posts[post] = [emulator.add_comment(post, f"Комментарий {n}.{c}", NOW) for c in range(comments)]
    newest, big, third, oldest = posts
    state: dict[str, Any] = {}
    with serve(emulator) as base:
        assert len(collect(base, state)) == 4 + 13
        # the newest post, then the next that fit: the post of 8 hashes does not, the two older do
        assert {post: len(fps) for post, fps in state["hashes"].items()} == {newest: 4, third: 3, oldest: 2}
        # past the bound, items are handed over once more when read again: never lost
        again = collect(base, state, NOW + timedelta(hours=1))
        assert sorted(i.external_id for i in again) == sorted([big, *posts[big]])


def test_the_state_of_a_busy_page_stays_small() -> None:
    # 150 posts of 100 comments read in one run: the newest posts' hashes, MAX_HASHES at most
    hashes = ReadHashes(None)
    watched: dict[str, datetime | None] = {}
    for n in range(150):
        post_id = f"{PAGE}_{1_000_000 + n}"
        watched[post_id] = NOW - timedelta(hours=n)
        hashes.fresh(Item(source="fb", kind="post", external_id=post_id, text=f"Пост {n}"), post_id)
        for c in range(100):
            comment = Item(source="fb", kind="comment", external_id=f"{1_000_000 + n}_{c}", text=f"к{c}")
            assert hashes.fresh(comment, post_id)
    kept = hashes.kept(watched)
    assert sum(map(len, kept.values())) <= facebook_hashes.MAX_HASHES
    assert list(kept) == list(watched)[: len(kept)]  # the newest posts
    size = len(json.dumps({"hashes": kept}, ensure_ascii=False))
    assert size < 250_000, size
    again = ReadHashes(json.loads(json.dumps(kept)))
    newest = Item(source="fb", kind="comment", external_id="1000000_5", text="к5")
    assert not again.fresh(newest, f"{PAGE}_1000000") and again.unchanged == 1
    oldest = Item(source="fb", kind="comment", external_id="1000149_5", text="к5")
    assert again.fresh(oldest, f"{PAGE}_1000149")


# -- through the runner and the store ----------------------------------------------------------


def _live_page(emulator: GraphEmulator) -> tuple[str, str]:
    """A post of an hour ago (the CLI counts the comment window from the real clock) with comments."""
    now = datetime.now(UTC).replace(microsecond=0)
    emulator.add_page(PAGE, "Департамент")
    post = emulator.add_post(PAGE, "На улице Розыбакиева второй день нет света.", now - timedelta(hours=1))
    comment = emulator.add_comment(post, "Электрик сказал, что кабель старый.", now, author="Ли")
    emulator.add_comment(post, "Бүгін де жарық жоқ.", now, author="Әлия")
    emulator.add_comment(post, "Обещают к пятнице.", now, parent=comment, author="Денис")
    return post, comment


def _config(folder: Path, base: str) -> Path:
    config = folder / "sources.toml"
    config.write_text(
        '[settings]\nretries = 0\n\n[[sources]]\nname = "dept-fb"\nkind = "facebook"\n'
        f'page_id = "{PAGE}"\ngraph_url = "{base}/v25.0"\ntoken_env = "FB_TEST_TOKEN"\n',
        encoding="utf-8",
    )
    return config


def test_cli_runs_count_as_fetched_only_what_is_new_or_changed(
    emulator: GraphEmulator, tmp_path: Path
) -> None:
    _, comment = _live_page(emulator)
    db = tmp_path / "fb.duckdb"
    with serve(emulator) as base:
        config = _config(tmp_path, base)
        for edit in (None, None, "Электрик сказал: кабель заменят завтра."):
            if edit:
                emulator.edit_comment(comment, edit)
            done = run_cli("run", "--config", str(config), "--db", str(db), "--no-classify")
            assert done.returncode == 0, done.stderr
    # The second run fetched the 4 items again, unchanged; now it fetches none, the third the edit.
    runs = "SELECT status, fetched, new, updated FROM runs ORDER BY run_id"
    assert store_rows(db, runs) == [("ok", 4, 4, 0), ("ok", 0, 0, 0), ("ok", 1, 0, 1)]
    (state,) = store_rows(db, "SELECT state FROM source_state")[0]
    assert sum(map(len, json.loads(state)["hashes"].values())) == 4


def test_an_edit_undone_after_a_stopped_run_is_stored(emulator: GraphEmulator, tmp_path: Path) -> None:
    # A run stopped on request stores the edit but keeps the cursor, whose hashes name the first text:
    # if they stayed, the text read again once the edit is undone would match them and never be stored.
    from batch.runner import run_source
    from config.sources import load_config

    _, comment = _live_page(emulator)
    db = tmp_path / "fb.duckdb"
    with serve(emulator) as base:
        config = _config(tmp_path, base)
        assert run_cli("run", "--config", str(config), "--db", str(db), "--no-classify").returncode == 0
        emulator.edit_comment(comment, "УДАЛИТЕ, ошибся постом")
        loaded = load_config(config)
        stopped = run_source(loaded.sources[0], loaded, db, should_stop=lambda: True)
        assert stopped.status == "aborted" and (stopped.fetched, stopped.updated) == (1, 1)
        emulator.edit_comment(comment, "Электрик сказал, что кабель старый.")  # undone
        done = run_cli("run", "--config", str(config), "--db", str(db), "--no-classify")
        assert done.returncode == 0, done.stderr
    assert store_rows(db, f"SELECT text, version FROM items WHERE external_id = '{comment}'") == [
        ("Электрик сказал, что кабель старый.", 3)
    ]


def test_an_edit_undone_after_a_run_that_could_not_record_its_end_is_stored(
    emulator: GraphEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The run stores the edit, then its last write (the run's row and the cursor) meets a lock held too
    # long: the cursor saved before must not hold the hashes of the first text (review), as a killed
    # run's would not either.
    import contextlib

    import batch.runner as runner
    from config.sources import load_config
    from errors import StoreLocked

    _, comment = _live_page(emulator)
    db = tmp_path / "fb.duckdb"
    real_writer, calls = runner.writer, []

    @contextlib.contextmanager
    def locked_at_the_end(path: Path, **kw: Any) -> Iterator[Any]:
        calls.append(path)
        if len(calls) == 3:  # the run's start, the items' flush, then the run's end
            raise StoreLocked("another process holds the database lock (waited 30 s)", path=str(path))
        with real_writer(path, **kw) as con:
            yield con

    with serve(emulator) as base:
        loaded = load_config(_config(tmp_path, base))
        assert runner.run_source(loaded.sources[0], loaded, db).status == "ok"
        emulator.edit_comment(comment, "УДАЛИТЕ, ошибся постом")
        monkeypatch.setattr(runner, "writer", locked_at_the_end)
        assert runner.run_source(loaded.sources[0], loaded, db).status == "failed"
        monkeypatch.setattr(runner, "writer", real_writer)
        (state,) = store_rows(db, "SELECT state FROM source_state")[0]
        assert "hashes" not in json.loads(state)
        emulator.edit_comment(comment, "Электрик сказал, что кабель старый.")  # undone
        assert runner.run_source(loaded.sources[0], loaded, db).status == "ok"
    assert store_rows(db, f"SELECT text, version FROM items WHERE external_id = '{comment}'") == [
        ("Электрик сказал, что кабель старый.", 3)
    ]


def test_an_item_read_twice_in_a_run_with_two_texts_is_handed_over_each_time() -> None:
    # B, then A again (a post listed twice while the feed moved, its edit undone between): the store
    # holds B after the first, so A must be handed over though the last run read A (review)
    first = Item(source="fb", kind="post", external_id="P", text="Ремонт дороги завершён.")
    edited = Item(source="fb", kind="post", external_id="P", text="ОШИБКА: не тот адрес")
    hashes = ReadHashes({"P": [facebook_hashes.fingerprint(first)]})
    assert [hashes.fresh(edited, "P"), hashes.fresh(first, "P"), hashes.fresh(first, "P")] == [
        True,
        True,
        False,
    ]


def _older_export(folder: Path, post: str) -> Path:
    """A CSV export of ``post`` taken before its text was corrected (that of ``_live_page``)."""
    export = folder / "posts.csv"
    written = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    export.write_text(f"id,message,created_time\n{post},На улице Розыбакиева нет света.,{written}\n", "utf-8")
    return export


def test_an_import_into_the_collected_source_is_corrected_by_the_next_run(
    emulator: GraphEmulator, tmp_path: Path
) -> None:
    # An older export imported into the Graph source overwrote the post: the cursor's hashes still
    # named the current text, so the next run did not hand it over and the old text stayed (review).
    post, _ = _live_page(emulator)
    db = tmp_path / "fb.duckdb"
    with serve(emulator) as base:
        config = _config(tmp_path, base)
        assert run_cli("run", "--config", str(config), "--db", str(db), "--no-classify").returncode == 0
        export = _older_export(tmp_path, post)
        done = run_cli(
            "import", "facebook-export", str(export), "--source", "dept-fb", "--db", str(db), "--no-classify"
        )
        assert done.returncode == 0, done.stderr
        assert run_cli("run", "--config", str(config), "--db", str(db), "--no-classify").returncode == 0
    assert store_rows(db, f"SELECT text FROM items WHERE external_id = '{post}'") == [
        ("На улице Розыбакиева второй день нет света.",)
    ]


def test_a_run_that_hands_nothing_over_keeps_the_hashes(tmp_path: Path) -> None:
    # A refused connection stores nothing: the hashes stay true, and dropping them cost the next run a
    # full hand-over, counted as fetched, after every outage (review)
    import batch.runner as runner
    from config.sources import load_config
    from store import runs as runlog
    from store.db import writer

    db = tmp_path / "fb.duckdb"
    config = tmp_path / "sources.toml"
    config.write_text(
        '[settings]\nretries = 0\n\n[[sources]]\nname = "tg"\nkind = "telegram"\nchannel = "c"\n'
        'base_url = "http://127.0.0.1:9"\n',
        encoding="utf-8",
    )
    loaded = load_config(config)
    with writer(db) as con:
        runlog.save_state(con, runlog.SourceState("tg", {"last_id": 80, "hashes": {"80": "abcd"}}))
    run = runner.run_source(loaded.sources[0], loaded, db)
    assert (run.status, run.fetched) == ("failed", 0)
    (state,) = store_rows(db, "SELECT state FROM source_state")[0]
    assert json.loads(state)["hashes"] == {"80": "abcd"}


@pytest.mark.parametrize("when", ["import during the run", "run during the import"])
def test_an_import_cannot_overlap_a_run_of_its_source(
    emulator: GraphEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, when: str
) -> None:
    # The run held the hashes in memory while an older export was imported into its source, and saved
    # them at its end: every later run read the post "unchanged" and the export's text stayed (review).
    # Now the two never overlap (the source's lock, even within one process): an import during the run
    # is refused before storing anything, a run during the import is skipped; the live text wins.
    import batch.importing as importing
    import batch.runner as runner
    from batch.source_lock import SKIPPED, SourceBusy
    from config.sources import load_config

    post, _ = _live_page(emulator)
    db = tmp_path / "fb.duckdb"
    export = _older_export(tmp_path, post)
    with serve(emulator) as base:
        loaded = load_config(_config(tmp_path, base))
        source = loaded.sources[0]

        def do_import() -> None:
            done = importing.import_file(
                "facebook-export", export, "dept-fb", loaded, db, report=lambda e: None
            )
            assert done.status == "ok"

        assert runner.run_source(source, loaded, db).status == "ok"
        if when == "import during the run":

            def factory(*args: Any) -> HttpClient:
                with pytest.raises(SourceBusy, match="another process is collecting it"):
                    do_import()
                return runner.http_client_for(*args)

            assert runner.run_source(source, loaded, db, client_factory=factory).status == "ok"
        else:
            real = importing.importer

            def importer(kind: str) -> Any:
                def read(*args: Any, **kwargs: Any) -> Iterator[Item]:
                    items = list(real(kind)(*args, **kwargs))
                    assert runner.run_source(source, loaded, db).status == SKIPPED
                    yield from items

                return read

            monkeypatch.setattr(importing, "importer", importer)
            do_import()
            monkeypatch.setattr(importing, "importer", real)
        assert runner.run_source(source, loaded, db).status == "ok"
    assert store_rows(db, f"SELECT text FROM items WHERE external_id = '{post}'") == [
        ("На улице Розыбакиева второй день нет света.",)
    ]
    # no row of the refused import, nor of the skipped run; none was closed as aborted by the other
    runs = store_rows(db, "SELECT kind LIKE 'import:%', status FROM runs ORDER BY run_id")
    if when == "import during the run":
        assert runs == [(False, "ok"), (False, "ok"), (False, "ok")]
    else:
        assert runs == [(False, "ok"), (True, "ok"), (False, "ok")]
