-- Sluice's own state. Each resource keeps its definition as a versioned JSON document in the
-- shape of its sluice.yaml entry, minus secrets; secrets are sealed (AES-GCM) in their own column.

CREATE TABLE postgres_databases (
    id              uuid PRIMARY KEY,
    name            text NOT NULL UNIQUE,
    spec_version    integer NOT NULL,
    spec            jsonb NOT NULL,
    sealed_password text,
    inserted_at     timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE http_endpoints (
    id                   uuid PRIMARY KEY,
    name                 text NOT NULL UNIQUE,
    spec_version         integer NOT NULL,
    spec                 jsonb NOT NULL,
    sealed_headers       text,
    inserted_at          timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sinks (
    id           uuid PRIMARY KEY,
    name         text NOT NULL UNIQUE,
    database_id  uuid NOT NULL REFERENCES postgres_databases (id),
    spec_version integer NOT NULL,
    spec         jsonb NOT NULL,
    inserted_at  timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- The flush position last acknowledged to each database's slot (the slot itself is authoritative;
-- this is for operators and health).
CREATE TABLE replication_positions (
    database_id  uuid PRIMARY KEY REFERENCES postgres_databases (id) ON DELETE CASCADE,
    slot_name    text NOT NULL,
    flushed_lsn  pg_lsn NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT now()
);
