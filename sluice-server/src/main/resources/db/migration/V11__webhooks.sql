-- Notification webhooks (/api/webhooks): subscriptions to server events, delivered signed with the subscription's
-- secret. The secret is sealed with the server's secret key (like database passwords); it is shown once, when the
-- subscription is created or its secret rotated. A subscription names at most one sink or one database (by id);
-- none means every event of its types. The outcome of the last delivery attempt is kept on the row.
CREATE TABLE webhooks (
    id                    uuid PRIMARY KEY,
    name                  text NOT NULL UNIQUE,
    url                   text NOT NULL,
    events                text[] NOT NULL,
    sink_id               uuid,
    database_id           uuid,
    lag_threshold_bytes   bigint,
    lag_threshold_seconds bigint,
    enabled               boolean NOT NULL DEFAULT true,
    secret_sealed         text NOT NULL,
    last_delivery_at      timestamptz,
    last_delivery_event   text,
    last_delivery_status  int,
    last_delivery_error   text,
    inserted_at           timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);
