-- Management API tokens. Only a SHA-256 hash of each token is kept: the token itself is shown once, when it
-- is created, and cannot be recovered from the store.
CREATE TABLE api_keys (
    id          uuid PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    token_hash  bytea NOT NULL UNIQUE,
    inserted_at timestamptz NOT NULL DEFAULT now()
);

-- Secrets of a sink's destination (e.g. a broker password), sealed like the others.
ALTER TABLE sinks ADD COLUMN sealed_secrets text;

-- A configuration change is saved in one transaction that may rename, repoint and delete resources in any
-- order; names and references only need to be consistent when it commits.
ALTER TABLE postgres_databases
    DROP CONSTRAINT postgres_databases_name_key,
    ADD CONSTRAINT postgres_databases_name_key UNIQUE (name) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE http_endpoints
    DROP CONSTRAINT http_endpoints_name_key,
    ADD CONSTRAINT http_endpoints_name_key UNIQUE (name) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE sinks
    DROP CONSTRAINT sinks_name_key,
    ADD CONSTRAINT sinks_name_key UNIQUE (name) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE sinks ALTER CONSTRAINT sinks_database_id_fkey DEFERRABLE INITIALLY DEFERRED;
