-- F4: the guardian's conditions on a minor's purchases, the purchases that
-- merchants report, the answers the machine API keeps for Idempotency-Key
-- replays, and the webhook outbox with its delivery log.

-- Where a merchant's money goes when a purchase paid through Anshin completes.
ALTER TABLE api_clients ADD COLUMN settlement_account_id INTEGER;

-- One set per minor, shared by their guardians.
CREATE TABLE purchase_conditions (
    ward_id         INTEGER PRIMARY KEY REFERENCES users (id),
    conditions_json TEXT NOT NULL,
    updated_by      INTEGER NOT NULL REFERENCES users (id),
    updated_at_ms   INTEGER NOT NULL
) STRICT;

CREATE TABLE purchases (
    id            INTEGER PRIMARY KEY,
    merchant_id   INTEGER NOT NULL REFERENCES api_clients (id),
    -- The merchant's Idempotency-Key and what it was sent with.
    request_key   TEXT NOT NULL,
    digest        TEXT NOT NULL,
    ward_id       INTEGER NOT NULL REFERENCES users (id),
    account_id    INTEGER NOT NULL,
    amount_minor  INTEGER NOT NULL CHECK (amount_minor > 0),
    currency      TEXT NOT NULL,
    category      TEXT NOT NULL,
    description   TEXT NOT NULL,
    reference     TEXT NOT NULL,
    payment       TEXT NOT NULL CHECK (payment IN ('anshin', 'elsewhere')),
    state         TEXT NOT NULL CHECK (state IN ('awaiting_guardian', 'awaiting_minor', 'in_window',
                                                 'completed', 'cancelled', 'refund_requested', 'refunded')),
    cancelled_json TEXT,
    -- The two-phase hold that reserves a purchase paid through Anshin.
    hold_id       INTEGER,
    created_at_ms INTEGER NOT NULL,
    deadline_ms   INTEGER,
    window_ends_ms INTEGER,
    updated_at_ms INTEGER NOT NULL,
    UNIQUE (merchant_id, request_key)
) STRICT;

CREATE INDEX purchases_ward ON purchases (ward_id, created_at_ms);
CREATE INDEX purchases_deadline ON purchases (state, deadline_ms);
CREATE INDEX purchases_window ON purchases (state, window_ends_ms);

-- A POST's answer under its Idempotency-Key; status NULL while it runs.
CREATE TABLE api_requests (
    client_id     INTEGER NOT NULL REFERENCES api_clients (id),
    request_key   TEXT NOT NULL,
    digest        TEXT NOT NULL,
    status        INTEGER,
    body          TEXT,
    created_at_ms INTEGER NOT NULL,
    PRIMARY KEY (client_id, request_key)
) STRICT;

CREATE TABLE webhook_endpoints (
    client_id        INTEGER PRIMARY KEY REFERENCES api_clients (id),
    url              TEXT NOT NULL,
    secret           TEXT NOT NULL,
    -- After a rotation: the old secret, also signed with until then.
    old_secret       TEXT,
    old_secret_until_ms INTEGER,
    enabled          INTEGER NOT NULL,
    -- Why it was turned off (the endpoint answered 410).
    disabled_reason  TEXT,
    updated_at_ms    INTEGER NOT NULL
) STRICT;

-- The outbox: written in the same transaction as the event it tells of.
CREATE TABLE webhook_messages (
    id            INTEGER PRIMARY KEY,
    msg_id        TEXT NOT NULL UNIQUE,
    client_id     INTEGER NOT NULL REFERENCES api_clients (id),
    event_type    TEXT NOT NULL,
    payload       TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts      INTEGER NOT NULL,
    next_at_ms    INTEGER NOT NULL,
    created_at_ms INTEGER NOT NULL,
    delivered_at_ms INTEGER
) STRICT;

CREATE INDEX webhook_messages_due ON webhook_messages (state, next_at_ms);
CREATE INDEX webhook_messages_client ON webhook_messages (client_id, id);

CREATE TABLE webhook_attempts (
    id          INTEGER PRIMARY KEY,
    message_id  INTEGER NOT NULL REFERENCES webhook_messages (id),
    at_ms       INTEGER NOT NULL,
    -- The HTTP status; NULL when no answer came (refused, timed out).
    status      INTEGER,
    error       TEXT,
    duration_ms INTEGER NOT NULL
) STRICT;

CREATE INDEX webhook_attempts_message ON webhook_attempts (message_id, id);
