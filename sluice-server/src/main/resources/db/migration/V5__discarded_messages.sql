-- Messages given up on (out of attempts, or discarded through the API) stay listed for inspection: a discarded row
-- is never loaded back for delivery. The newest ones per sink are kept (see MetadataStore.discardMessages).
ALTER TABLE sink_messages ADD COLUMN discarded_at timestamptz;

-- A spilled group's messages are loaded back by group id (or, without one, by table) in position order.
CREATE INDEX sink_messages_group ON sink_messages (sink_id, group_id, commit_lsn, commit_idx);
