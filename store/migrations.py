"""Named schema migrations, each applied once in its own transaction and recorded in a table.

Append new migrations at the end of ``MIGRATIONS``; never edit one that has shipped.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import duckdb

log = logging.getLogger(__name__)

REVIEW_STATUSES = ("new", "confirmed", "rejected", "forwarded")

_CORE = """
CREATE TABLE items (
    source        VARCHAR NOT NULL,
    external_id   VARCHAR NOT NULL,
    kind          VARCHAR NOT NULL,          -- article | post | comment | message | entry
    parent        VARCHAR,                   -- external_id of the post or article replied to
    url           VARCHAR,
    author        VARCHAR,
    title         VARCHAR,
    published_at  TIMESTAMPTZ,
    collected_at  TIMESTAMPTZ NOT NULL,      -- first time we stored it
    updated_at    TIMESTAMPTZ NOT NULL,      -- last time its content changed
    lang          VARCHAR,                   -- ru | kk | mixed | other, set by the classifier
    text          VARCHAR,
    content_hash  VARCHAR NOT NULL,          -- of title and text: a change means an edit
    version       INTEGER NOT NULL DEFAULT 1,
    raw           JSON,                      -- what the source gave
    simhash       UBIGINT,                   -- near-duplicate signature
    cluster_id    VARCHAR,                   -- near-duplicate cluster (source|external_id of its first member)
    PRIMARY KEY (source, external_id)
);

CREATE TABLE item_versions (                -- earlier contents of edited items
    source        VARCHAR NOT NULL,
    external_id   VARCHAR NOT NULL,
    version       INTEGER NOT NULL,
    title         VARCHAR,
    text          VARCHAR,
    content_hash  VARCHAR NOT NULL,
    raw           JSON,
    valid_from    TIMESTAMPTZ NOT NULL,
    replaced_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (source, external_id, version)
);

CREATE TABLE classifications (              -- the current scores of each item
    source         VARCHAR NOT NULL,
    external_id    VARCHAR NOT NULL,
    model_version  VARCHAR NOT NULL,
    content_hash   VARCHAR NOT NULL,         -- of the item content that was scored
    lang           VARCHAR,
    corruption     DOUBLE,
    infrastructure DOUBLE,
    labels         VARCHAR[] NOT NULL,
    evidence       JSON,
    classified_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (source, external_id)
);

CREATE SEQUENCE reviews_seq;
CREATE TABLE reviews (                      -- every review decision, the history kept
    review_id     BIGINT PRIMARY KEY DEFAULT nextval('reviews_seq'),
    source        VARCHAR NOT NULL,
    external_id   VARCHAR NOT NULL,
    status        VARCHAR NOT NULL CHECK (status IN ('new', 'confirmed', 'rejected', 'forwarded')),
    forwarded_to  VARCHAR,
    reviewer      VARCHAR,
    note          VARCHAR,
    created_at    TIMESTAMPTZ NOT NULL
);

CREATE SEQUENCE runs_seq;
CREATE TABLE runs (                         -- one row per run of one source (or one import)
    run_id        BIGINT PRIMARY KEY DEFAULT nextval('runs_seq'),
    source        VARCHAR NOT NULL,
    kind          VARCHAR NOT NULL,
    started_at    TIMESTAMPTZ NOT NULL,
    finished_at   TIMESTAMPTZ,
    status        VARCHAR NOT NULL,          -- running | ok | partial | failed | token | permission | throttled
    fetched       INTEGER NOT NULL DEFAULT 0,
    new           INTEGER NOT NULL DEFAULT 0,
    updated       INTEGER NOT NULL DEFAULT 0,
    problems      INTEGER NOT NULL DEFAULT 0, -- pages or lines skipped with an error while the run went on
    error         VARCHAR,
    requests      INTEGER NOT NULL DEFAULT 0,
    bytes         BIGINT NOT NULL DEFAULT 0,
    not_modified  INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE source_state (                 -- the collectors' cursors and each source's health
    source               VARCHAR PRIMARY KEY,
    state                JSON NOT NULL,
    last_success         TIMESTAMPTZ,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    next_due             TIMESTAMPTZ,        -- back-off: not before this time after failures
    updated_at           TIMESTAMPTZ NOT NULL
);

CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);
"""

_VIEWS = """
CREATE OR REPLACE VIEW current_reviews AS
SELECT * FROM reviews
QUALIFY row_number() OVER (PARTITION BY source, external_id ORDER BY created_at DESC, review_id DESC) = 1;

CREATE OR REPLACE VIEW flagged AS
SELECT i.source, i.external_id, i.kind, i.parent, i.url, i.author, i.title, i.published_at,
       i.collected_at, i.lang, i.text, i.cluster_id,
       c.corruption, c.infrastructure, c.labels, c.evidence, c.model_version, c.classified_at,
       coalesce(r.status, 'new') AS review_status, r.forwarded_to, r.reviewer, r.note,
       r.created_at AS reviewed_at
FROM items i
JOIN classifications c USING (source, external_id)
LEFT JOIN current_reviews r USING (source, external_id)
WHERE len(c.labels) > 0;
"""

_REVIEW_USERS = """
CREATE TABLE users (                        -- reviewers who may log in to the review page
    username        VARCHAR PRIMARY KEY,
    password_hash   VARCHAR NOT NULL,        -- salted scrypt hash (werkzeug.security), never the password
    created_at      TIMESTAMPTZ NOT NULL,
    password_set_at TIMESTAMPTZ NOT NULL,
    session_epoch   INTEGER NOT NULL DEFAULT 1, -- raised on a password change: older sessions end
    disabled        BOOLEAN NOT NULL DEFAULT false
);
"""

_ALERTS = """
CREATE TABLE alerts_sent (                  -- what each alert channel already delivered (ops/alerts.py)
    channel   VARCHAR NOT NULL,             -- webhook | email
    key       VARCHAR NOT NULL,             -- item:<source>|<external_id>  or  source:<name>|<reason>|<since>
    sent_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (channel, key)
);
"""

_LABEL_DECISIONS = """
CREATE SEQUENCE label_decisions_seq;
CREATE TABLE label_decisions (              -- a reviewer's yes or no on one label of one item (second look)
    decision_id   BIGINT PRIMARY KEY DEFAULT nextval('label_decisions_seq'),
    source        VARCHAR NOT NULL,
    external_id   VARCHAR NOT NULL,
    label         VARCHAR NOT NULL CHECK (label IN ('corruption', 'infrastructure')),
    value         BOOLEAN NOT NULL,          -- true: the item reports it; false: it does not
    score         DOUBLE,                    -- the model's score for the label when judged
    model_version VARCHAR,
    reviewer      VARCHAR,
    created_at    TIMESTAMPTZ NOT NULL
);

CREATE OR REPLACE VIEW current_label_decisions AS
SELECT * FROM label_decisions
QUALIFY row_number() OVER (
    PARTITION BY source, external_id, label ORDER BY created_at DESC, decision_id DESC) = 1;

-- An item a reviewer said reports a label the model did not flag is flagged too: it can then be
-- confirmed, forwarded and exported like the others. reviewer_labels names those labels.
CREATE OR REPLACE VIEW flagged AS
SELECT i.source, i.external_id, i.kind, i.parent, i.url, i.author, i.title, i.published_at,
       i.collected_at, i.lang, i.text, i.cluster_id,
       c.corruption, c.infrastructure,
       CASE WHEN a.added IS NULL THEN c.labels ELSE list_sort(list_distinct(list_concat(c.labels, a.added))) END
           AS labels,
       c.evidence, c.model_version, c.classified_at,
       coalesce(r.status, 'new') AS review_status, r.forwarded_to, r.reviewer, r.note,
       r.created_at AS reviewed_at,
       coalesce(list_filter(a.added, lambda x: NOT list_contains(c.labels, x)), []) AS reviewer_labels
FROM items i
JOIN classifications c USING (source, external_id)
LEFT JOIN current_reviews r USING (source, external_id)
LEFT JOIN (
    SELECT source, external_id, list(label ORDER BY label) AS added
    FROM current_label_decisions WHERE value
    GROUP BY source, external_id
) a USING (source, external_id)
WHERE len(c.labels) > 0 OR a.added IS NOT NULL;
"""

_JUDGED = """
-- What a decision judged: the labels the item was flagged with as the reviewer saw it, the model
-- that scored it, and the content shown (its hash). NULL on decisions made before they were kept.
ALTER TABLE reviews ADD COLUMN labels VARCHAR[];
ALTER TABLE reviews ADD COLUMN model_version VARCHAR;
ALTER TABLE reviews ADD COLUMN content_hash VARCHAR;
ALTER TABLE label_decisions ADD COLUMN content_hash VARCHAR;

-- A confirmed or forwarded item keeps the labels the reviewer confirmed when a later model no
-- longer flags it: the decision stays on the list, in exports and in reviewer_labels.
CREATE OR REPLACE VIEW flagged AS
SELECT i.source, i.external_id, i.kind, i.parent, i.url, i.author, i.title, i.published_at,
       i.collected_at, i.lang, i.text, i.cluster_id,
       c.corruption, c.infrastructure,
       list_sort(list_distinct(list_concat(c.labels, h.human))) AS labels,
       c.evidence, c.model_version, c.classified_at,
       coalesce(r.status, 'new') AS review_status, r.forwarded_to, r.reviewer, r.note,
       r.created_at AS reviewed_at,
       list_sort(list_distinct(list_filter(h.human, lambda x: NOT list_contains(c.labels, x))))
           AS reviewer_labels
FROM items i
JOIN classifications c USING (source, external_id)
LEFT JOIN current_reviews r USING (source, external_id)
LEFT JOIN (
    SELECT source, external_id, list(label ORDER BY label) AS added
    FROM current_label_decisions WHERE value
    GROUP BY source, external_id
) a USING (source, external_id),
LATERAL (
    SELECT list_concat(
        coalesce(a.added, []),
        CASE WHEN r.status IN ('confirmed', 'forwarded') THEN coalesce(r.labels, []) ELSE [] END
    ) AS human
) h
WHERE len(c.labels) > 0 OR len(h.human) > 0;
"""

_FLAGGED_WITHOUT_LATERAL = """
-- The same rows and columns as 0006, computed faster (at 200,000 items the LATERAL of 0006 numbered
-- and copied every scored item, texts and all, before anything was filtered): the reviewers' labels
-- are an expression on the classifications joined to the current review and second-look answers,
-- the flagged ones are chosen on those narrow columns, and only then are the items joined.
-- has_human is len(human) > 0 without building the list for every scored item: ``added`` is
-- NULL or a list of at least one label.
CREATE OR REPLACE VIEW flagged AS
SELECT i.source, i.external_id, i.kind, i.parent, i.url, i.author, i.title, i.published_at,
       i.collected_at, i.lang, i.text, i.cluster_id,
       s.corruption, s.infrastructure,
       list_sort(list_distinct(list_concat(s.labels, s.human))) AS labels,
       s.evidence, s.model_version, s.classified_at,
       coalesce(s.status, 'new') AS review_status, s.forwarded_to, s.reviewer, s.note,
       s.created_at AS reviewed_at,
       list_sort(list_distinct(list_filter(s.human, lambda x: NOT list_contains(s.labels, x))))
           AS reviewer_labels
FROM (
    SELECT c.source, c.external_id, c.corruption, c.infrastructure, c.labels, c.evidence,
           c.model_version, c.classified_at,
           r.status, r.forwarded_to, r.reviewer, r.note, r.created_at,
           list_concat(
               coalesce(a.added, []),
               CASE WHEN r.status IN ('confirmed', 'forwarded') THEN coalesce(r.labels, []) ELSE [] END
           ) AS human,
           a.added IS NOT NULL OR (r.status IN ('confirmed', 'forwarded') AND len(r.labels) > 0)
               AS has_human
    FROM classifications c
    LEFT JOIN current_reviews r USING (source, external_id)
    LEFT JOIN (
        SELECT source, external_id, list(label ORDER BY label) AS added
        FROM current_label_decisions WHERE value
        GROUP BY source, external_id
    ) a USING (source, external_id)
) s
JOIN items i USING (source, external_id)
WHERE len(s.labels) > 0 OR s.has_human;
"""

_JUDGED_BEFORE = """
-- Decisions made before 0006 kept no record of what they judged, and the code read that as "the
-- current labels and text": a later reclassify changed what an old rejection or confirmation said.
-- They get, once, what the store holds of what the reviewer saw: the text shown then (the version
-- valid at the decision, else the current one); the labels the item was scored with for that text,
-- when its scores are still of it (an item edited and scored again since: none known), with the
-- labels a second-look yes had added by then (0005's flagged view showed them); the model of those
-- scores. An item never scored judged no label; a decision on an item no longer stored is left alone.
UPDATE reviews SET labels = j.labels, model_version = j.model_version, content_hash = j.content_hash
FROM (
    WITH shown AS (
        SELECT r.review_id, r.source, r.external_id, r.created_at,
               coalesce(v.content_hash, i.content_hash) AS content_hash
        FROM reviews r
        LEFT JOIN items i USING (source, external_id)
        LEFT JOIN item_versions v
          ON v.source = r.source AND v.external_id = r.external_id
         AND v.valid_from <= r.created_at AND r.created_at < v.replaced_at
        WHERE r.labels IS NULL AND (i.source IS NOT NULL OR v.source IS NOT NULL)
        QUALIFY row_number() OVER (PARTITION BY r.review_id ORDER BY v.version DESC) = 1
    ), said AS (  -- per decision and label, the latest second-look answer given before it
        SELECT s.review_id, d.label, d.value
        FROM shown s JOIN label_decisions d
          ON d.source = s.source AND d.external_id = s.external_id AND d.created_at <= s.created_at
        QUALIFY row_number() OVER (PARTITION BY s.review_id, d.label ORDER BY d.created_at DESC, d.decision_id DESC) = 1
    ), added AS (
        SELECT review_id, list(label ORDER BY label) AS added FROM said WHERE value GROUP BY review_id
    )
    SELECT s.review_id, s.content_hash,
           list_sort(list_distinct(list_concat(
               CASE WHEN c.content_hash = s.content_hash THEN c.labels ELSE []::VARCHAR[] END,
               coalesce(a.added, []::VARCHAR[])))) AS labels,
           CASE WHEN c.content_hash = s.content_hash THEN c.model_version END AS model_version
    FROM shown s
    LEFT JOIN classifications c USING (source, external_id)
    LEFT JOIN added a USING (review_id)
) j
WHERE reviews.review_id = j.review_id;

-- The same for second-look answers given before 0006: the text shown then.
UPDATE label_decisions SET content_hash = j.content_hash
FROM (
    SELECT d.decision_id, coalesce(v.content_hash, i.content_hash) AS content_hash
    FROM label_decisions d
    JOIN items i USING (source, external_id)
    LEFT JOIN item_versions v
      ON v.source = d.source AND v.external_id = d.external_id
     AND v.valid_from <= d.created_at AND d.created_at < v.replaced_at
    WHERE d.content_hash IS NULL
    QUALIFY row_number() OVER (PARTITION BY d.decision_id ORDER BY v.version DESC) = 1
) j
WHERE label_decisions.decision_id = j.decision_id;
"""

MIGRATIONS: list[tuple[str, str]] = [
    ("0001_core_tables", _CORE),
    ("0002_views", _VIEWS),
    ("0003_review_users", _REVIEW_USERS),
    ("0004_alerts", _ALERTS),
    ("0005_label_decisions", _LABEL_DECISIONS),
    ("0006_judged_content", _JUDGED),
    ("0007_flagged_without_lateral", _FLAGGED_WITHOUT_LATERAL),
    ("0008_judged_before_0006", _JUDGED_BEFORE),
]


def flagged_definition(name: str) -> str:
    """The SELECT of the ``flagged`` view as it stands after migration ``name`` (to compare definitions)."""
    names = [n for n, _ in MIGRATIONS]
    marker = "CREATE OR REPLACE VIEW flagged AS"
    sql = next(s for _, s in reversed(MIGRATIONS[: names.index(name) + 1]) if marker in s)
    start = sql.rindex(marker) + len(marker)
    return sql[start : sql.index(";", start)].strip()


def apply_migrations(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply every migration not yet recorded; each in its own transaction. Returns the names applied."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (name VARCHAR PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)"
    )
    done = {row[0] for row in con.execute("SELECT name FROM schema_migrations").fetchall()}
    applied = []
    for name, sql in MIGRATIONS:
        if name in done:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(sql)
            con.execute("INSERT INTO schema_migrations VALUES (?, ?)", [name, datetime.now(UTC)])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        log.info("applied migration %s", name)
        applied.append(name)
    return applied
