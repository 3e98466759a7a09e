-- Cluster mode: several Sluice nodes share this store. Each node heartbeats its row; each database pipeline (its
-- slot) is run by the node holding its lease. The epoch is the fencing token: it grows each time the lease changes
-- hands, and writes on behalf of a pipeline lock the lease row and check their epoch (so a node that lost its lease
-- cannot write). Times are the store's clock, never a node's, so clock skew between nodes does not matter.
CREATE TABLE nodes (
    id           text PRIMARY KEY,
    address      text NOT NULL,
    started_at   timestamptz NOT NULL,
    heartbeat_at timestamptz NOT NULL,
    draining     boolean NOT NULL DEFAULT false
);

CREATE TABLE pipeline_leases (
    database_id uuid PRIMARY KEY REFERENCES postgres_databases (id) ON DELETE CASCADE,
    node_id     text,
    epoch       bigint NOT NULL,
    expires_at  timestamptz NOT NULL,
    acquired_at timestamptz NOT NULL DEFAULT now()
);

-- Bumped by every configuration save; nodes poll it to reload what another node saved.
CREATE TABLE config_version (
    one     boolean PRIMARY KEY DEFAULT true CHECK (one),
    version bigint NOT NULL
);
INSERT INTO config_version (one, version) VALUES (true, 0);
