-- Each sink's delivery progress, so that the slot's replay after a restart skips what the sink already has:
-- every transaction ending at or before acknowledged_lsn is resolved, and so are the messages listed in
-- resolved_after (12 bytes each: commit LSN, index in the transaction; big-endian).
CREATE TABLE sink_progress (
    sink_id          uuid PRIMARY KEY REFERENCES sinks (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    acknowledged_lsn bigint NOT NULL,
    resolved_after   bytea NOT NULL,
    updated_at       timestamptz NOT NULL DEFAULT now()
);
