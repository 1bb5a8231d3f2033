-- Cardless withdrawals: the reservation (a ledger hold), and the two codes
-- that name it, stored only as hashes: the QR token (SHA-256: 256 bits of
-- entropy) and the six secret digits of the short code (argon2id).
CREATE TABLE cardless_withdrawals (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users (id),
    account       INTEGER NOT NULL REFERENCES ledger_accounts (id),
    amount_yen    INTEGER NOT NULL CHECK (amount_yen > 0),
    hold_transfer INTEGER NOT NULL REFERENCES ledger_transfers (id),
    request_key   TEXT NOT NULL,
    token_hash    TEXT NOT NULL UNIQUE,
    pin_hash      TEXT NOT NULL,
    state         TEXT NOT NULL
                  CHECK (state IN ('ready', 'awaiting_phone', 'dispensed', 'cancelled', 'expired')),
    created_at_ms INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL,
    ended_at_ms   INTEGER,
    UNIQUE (user_id, request_key)
) STRICT;

CREATE INDEX cardless_user ON cardless_withdrawals (user_id, id);
CREATE INDEX cardless_open_expiry ON cardless_withdrawals (expires_at_ms)
    WHERE state IN ('ready', 'awaiting_phone');
