-- Console sessions, shared by every node of a cluster (a load balancer may send a signed-in browser to any node).
-- Only the SHA-256 of the session id (the cookie's value) is kept; a session ends with its API key.
CREATE TABLE console_sessions (
    id_hash      text PRIMARY KEY,
    api_key_id   uuid NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    csrf         text NOT NULL,
    last_used_at timestamptz NOT NULL
);
CREATE INDEX console_sessions_last_used ON console_sessions (last_used_at);
