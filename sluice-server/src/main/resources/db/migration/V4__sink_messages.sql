-- Messages of a sink's failing groups: one whose delivery failed (deliver_count > 0), and the messages of its
-- group queued behind it (deliver_count = 0). Stored, they no longer hold the replication slot; they are delivered
-- from here after a restart and removed once delivered or discarded.
CREATE TABLE sink_messages (
    sink_id          uuid NOT NULL REFERENCES sinks (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    commit_lsn       bigint NOT NULL,
    commit_idx       integer NOT NULL,
    group_id         text,
    idempotency_key  text NOT NULL,
    table_schema     text NOT NULL,
    table_name       text NOT NULL,
    action           text NOT NULL,
    committed_at     timestamptz NOT NULL,
    payload          bytea NOT NULL,
    deliver_count    integer NOT NULL,
    last_error       text,
    last_attempt_at  timestamptz,
    next_attempt_at  timestamptz,
    inserted_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (sink_id, commit_lsn, commit_idx)
);
