-- F5: payments that a shop terminal or an AI agent asks for by the user's
-- nickname, approved on the user's phone, paid with a single-use token.

-- The nickname may be hidden from requesters, and guarded by a user code
-- (argon2id) that a requester must also give.
ALTER TABLE users ADD COLUMN nickname_hidden INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN user_code_hash TEXT;

-- One request, its token once approved, and its payment once redeemed.
CREATE TABLE payment_requests (
    id               INTEGER PRIMARY KEY,
    -- What the requester names the request by (CIBA's auth_req_id).
    auth_req_id      TEXT NOT NULL UNIQUE,
    client_id        INTEGER NOT NULL REFERENCES api_clients (id),
    user_id          INTEGER NOT NULL REFERENCES users (id),
    payee_id         INTEGER NOT NULL REFERENCES api_clients (id),
    -- NULL when the request was dropped unseen (a blocked requester).
    approval_id      INTEGER,
    amount_minor     INTEGER NOT NULL CHECK (amount_minor > 0),
    currency         TEXT NOT NULL,
    description      TEXT NOT NULL,
    binding_message  TEXT NOT NULL,
    place_json       TEXT,
    state            TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'declined', 'expired',
                                                    'cancelled', 'paid', 'revoked')),
    created_at_ms    INTEGER NOT NULL,
    expires_at_ms    INTEGER NOT NULL,
    interval_s       INTEGER NOT NULL,
    last_polled_ms   INTEGER,
    decided_at_ms    INTEGER,
    -- The payment token: its hash finds it; the token itself is handed to
    -- the requester while it is live and cleared when it ends.
    token_hash       TEXT UNIQUE,
    token            TEXT,
    token_expires_at_ms INTEGER,
    paid_minor       INTEGER,
    paid_at_ms       INTEGER,
    transfer_id      INTEGER,
    paid_reference   TEXT
) STRICT;

CREATE INDEX payment_requests_user ON payment_requests (user_id, created_at_ms);
CREATE INDEX payment_requests_client ON payment_requests (client_id, created_at_ms);
CREATE INDEX payment_requests_spend ON payment_requests (user_id, client_id, state, paid_at_ms);
CREATE INDEX payment_requests_approval ON payment_requests (approval_id);

-- What a user decided about one requester: blocked, and their ceilings.
CREATE TABLE requester_settings (
    user_id             INTEGER NOT NULL REFERENCES users (id),
    client_id           INTEGER NOT NULL REFERENCES api_clients (id),
    blocked             INTEGER NOT NULL,
    day_ceiling_minor   INTEGER,
    month_ceiling_minor INTEGER,
    updated_at_ms       INTEGER NOT NULL,
    PRIMARY KEY (user_id, client_id)
) STRICT;
