-- Transfers to other people (flow F3): each with its risk assessment, the
-- decision it led to and the evidence of what the sender was shown; the
-- counterparty graph the assessment reads (one row per ordered pair of
-- accounts with a completed transfer, kept in the transfer's own ledger
-- job); saved payees; reports; and the conversation between two customers.
CREATE TABLE p2p_transfers (
    id              INTEGER PRIMARY KEY,
    sender_id       INTEGER NOT NULL REFERENCES users (id),
    recipient_id    INTEGER NOT NULL REFERENCES users (id),
    from_account    INTEGER NOT NULL REFERENCES ledger_accounts (id),
    to_account      INTEGER NOT NULL REFERENCES ledger_accounts (id),
    amount          INTEGER NOT NULL CHECK (amount > 0),
    state           TEXT NOT NULL CHECK (state IN ('awaiting_recipient', 'awaiting_sender', 'in_review',
                                                   'settled', 'refused', 'abandoned', 'declined', 'expired')),
    request_key     TEXT NOT NULL,
    -- What the key was first used for, to tell a replay from a reuse.
    request_digest  TEXT NOT NULL,
    score           INTEGER NOT NULL,
    decision        TEXT NOT NULL,
    assessment_json TEXT NOT NULL,
    name_check_json TEXT,
    ack_json        TEXT,
    hold_transfer   INTEGER REFERENCES ledger_transfers (id),
    proof_message   TEXT,
    proof_at_ms     INTEGER,
    created_at_ms   INTEGER NOT NULL,
    deadline_ms     INTEGER,
    ended_at_ms     INTEGER,
    UNIQUE (sender_id, request_key)
) STRICT;

CREATE INDEX p2p_transfers_pair ON p2p_transfers (from_account, to_account, state);
CREATE INDEX p2p_transfers_sent ON p2p_transfers (from_account, created_at_ms);
CREATE INDEX p2p_transfers_sender ON p2p_transfers (sender_id, id);
CREATE INDEX p2p_transfers_recipient ON p2p_transfers (recipient_id, state);
CREATE INDEX p2p_transfers_open ON p2p_transfers (deadline_ms)
    WHERE state IN ('awaiting_recipient', 'awaiting_sender', 'in_review');
CREATE INDEX p2p_transfers_state ON p2p_transfers (state, id);

CREATE TABLE p2p_pairs (
    from_account INTEGER NOT NULL,
    to_account   INTEGER NOT NULL,
    transfers    INTEGER NOT NULL,
    total        INTEGER NOT NULL,
    first_at_ms  INTEGER NOT NULL,
    last_at_ms   INTEGER NOT NULL,
    PRIMARY KEY (from_account, to_account)
) STRICT, WITHOUT ROWID;

CREATE INDEX p2p_pairs_to ON p2p_pairs (to_account, first_at_ms);

CREATE TABLE payees (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users (id),
    account         INTEGER NOT NULL REFERENCES ledger_accounts (id),
    label           TEXT NOT NULL,
    created_at_ms   INTEGER NOT NULL,
    last_paid_at_ms INTEGER,
    UNIQUE (user_id, account)
) STRICT;

CREATE TABLE account_reports (
    id          INTEGER PRIMARY KEY,
    account     INTEGER NOT NULL REFERENCES ledger_accounts (id),
    reporter_id INTEGER NOT NULL REFERENCES users (id),
    at_ms       INTEGER NOT NULL,
    UNIQUE (account, reporter_id)
) STRICT;

CREATE TABLE conversations (
    id            INTEGER PRIMARY KEY,
    -- The two people, the smaller id first.
    user_lo       INTEGER NOT NULL REFERENCES users (id),
    user_hi       INTEGER NOT NULL REFERENCES users (id),
    started_by    INTEGER NOT NULL REFERENCES users (id),
    started_at_ms INTEGER NOT NULL,
    UNIQUE (user_lo, user_hi),
    CHECK (user_lo < user_hi)
) STRICT;

CREATE TABLE direct_messages (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    author_id       INTEGER NOT NULL REFERENCES users (id),
    body            TEXT NOT NULL,
    at_ms           INTEGER NOT NULL
) STRICT;

CREATE INDEX direct_messages_by_conversation ON direct_messages (conversation_id, id);
