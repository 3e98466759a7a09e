-- Replication jobs (POST /api/jobs): a command over a source and a target database. The spec, which holds both
-- URLs and so their passwords, is sealed with the server's secret key. Any node sharing this store may run a job:
-- it claims a queued one (FOR UPDATE SKIP LOCKED) and heartbeats it; a job whose heartbeat stops is claimed again.
CREATE TABLE jobs (
    id            uuid PRIMARY KEY,
    trace_id      uuid NOT NULL,
    command       text NOT NULL,
    spec_sealed   text NOT NULL,
    status        text NOT NULL CHECK (status IN ('provisioning', 'running', 'completed', 'failed', 'cancelled')),
    cancel_asked  boolean NOT NULL DEFAULT false,
    node          text,
    heartbeat_at  timestamptz,
    attempts      int NOT NULL DEFAULT 0,
    progress      jsonb,
    result        jsonb,
    error         text,
    log           text[] NOT NULL DEFAULT '{}',
    created_at    timestamptz NOT NULL DEFAULT now(),
    started_at    timestamptz,
    completed_at  timestamptz,
    expires_at    timestamptz NOT NULL
);

CREATE INDEX jobs_by_created ON jobs (created_at, id);
CREATE INDEX jobs_open ON jobs (status) WHERE status IN ('provisioning', 'running');
