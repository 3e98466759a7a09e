-- Backfills: the existing rows of one table delivered to one sink as read messages. The cursor (text values of
-- the order columns, as the engine reports them) is where a restart resumes; counts include earlier runs.
-- resumed_at/resumed_rows mark where the current run started, for the ETA.
CREATE TABLE backfills (
    id                   uuid PRIMARY KEY,
    sink_id              uuid NOT NULL REFERENCES sinks (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    table_schema         text NOT NULL,
    table_name           text NOT NULL,
    sort_column          text,
    start_position       text,
    state                text NOT NULL CHECK (state IN ('active', 'paused', 'completed', 'cancelled', 'failed')),
    cursor               text[],
    rows_initial_count   bigint,
    rows_processed_count bigint NOT NULL DEFAULT 0,
    rows_ingested_count  bigint NOT NULL DEFAULT 0,
    resumed_at           timestamptz,
    resumed_rows         bigint NOT NULL DEFAULT 0,
    inserted_at          timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    completed_at         timestamptz,
    canceled_at          timestamptz,
    failed_at            timestamptz,
    error                text
);

-- One unfinished backfill per sink and table.
CREATE UNIQUE INDEX backfills_one_unfinished ON backfills (sink_id, table_schema, table_name)
    WHERE state IN ('active', 'paused');

CREATE INDEX backfills_by_sink ON backfills (sink_id, inserted_at, id);
