-- User functions (filter, transform, routing, enrichment, path), referenced by sinks by name. A function holds no
-- secret; the sealed column exists so that every resource table has the same shape.
CREATE TABLE functions (
    id             uuid PRIMARY KEY,
    name           text NOT NULL UNIQUE DEFERRABLE INITIALLY DEFERRED,
    spec_version   integer NOT NULL,
    spec           jsonb NOT NULL,
    sealed_secrets text,
    inserted_at    timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
