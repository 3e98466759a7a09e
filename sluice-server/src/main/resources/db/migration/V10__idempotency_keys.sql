-- Responses to POST requests sent with an Idempotency-Key, kept so that a retry with the same key gets the first
-- response back instead of doing the work again. Keys are scoped per API token (deleting the token deletes them).
-- A row without a status is a request still running. Only a hash of the request body is kept. The response body is
-- sealed like the other secrets (AES-256-GCM with the secret key): it may hold one, such as a new API token.
CREATE TABLE idempotency_keys (
    token_id        uuid NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    idempotency_key text NOT NULL,
    method          text NOT NULL,
    path            text NOT NULL,
    request_sha256  bytea NOT NULL,
    status          int,
    content_type    text,
    sealed_body     text,
    created_at      timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL,
    PRIMARY KEY (token_id, idempotency_key)
);
CREATE INDEX idempotency_keys_expires_at ON idempotency_keys (expires_at);
