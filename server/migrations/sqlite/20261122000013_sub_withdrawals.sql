-- Withdrawals arranged in consultations (flow F1): the form a clerk pushes
-- and, once the customer confirms, the sub-account that holds the money
-- until an ATM pays it or it expires. The password is kept only as an
-- argon2id hash. One open form per consultation at a time. 'funding' and
-- 'dispensing' are the in-flight states around a ledger transfer, entered at
-- claimed_at_ms; a row left in one of them is settled by the sweep from the
-- transfer's idempotency key, which carries the row's attempt number (each
-- funding and each payout is a new attempt, so a retry never replays an
-- earlier attempt's answer). 'reversing' puts back a payout whose ATM was
-- cut off before it could hand out the cash.
CREATE TABLE sub_withdrawals (
    id              INTEGER PRIMARY KEY,
    consultation_id INTEGER NOT NULL REFERENCES consultations (id),
    user_id         INTEGER NOT NULL REFERENCES users (id),
    clerk_id        INTEGER NOT NULL REFERENCES users (id),
    state           TEXT NOT NULL CHECK (state IN ('pushed', 'opened', 'submitted', 'funding', 'ready',
                                                   'locked', 'dispensing', 'reversing', 'dispensed', 'returned',
                                                   'withdrawn')),
    suggested_yen   INTEGER,
    amount_yen      INTEGER,
    fee_yen         INTEGER NOT NULL,
    account         INTEGER REFERENCES ledger_accounts (id),
    sub_account     INTEGER REFERENCES ledger_accounts (id),
    number          TEXT UNIQUE,
    password_hash   TEXT,
    failed_tries    INTEGER NOT NULL DEFAULT 0,
    attempt         INTEGER NOT NULL DEFAULT 0,
    created_at_ms   INTEGER NOT NULL,
    expires_at_ms   INTEGER,
    ended_at_ms     INTEGER,
    atm_id          INTEGER REFERENCES atms (id),
    claimed_at_ms   INTEGER
) STRICT;

CREATE UNIQUE INDEX sub_withdrawals_one_form ON sub_withdrawals (consultation_id)
    WHERE state IN ('pushed', 'opened', 'submitted', 'funding');
CREATE INDEX sub_withdrawals_due ON sub_withdrawals (state, expires_at_ms);
CREATE INDEX sub_withdrawals_by_user ON sub_withdrawals (user_id, id);
CREATE INDEX sub_withdrawals_by_consultation ON sub_withdrawals (consultation_id, id);
CREATE INDEX consultations_ended ON consultations (ended_at_ms) WHERE state = 'ended';
