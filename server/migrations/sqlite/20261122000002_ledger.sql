-- The double-entry ledger. Balances are never stored on their own: each
-- account keeps the four sums of the transfers that touch it, and the
-- invariant checker recomputes them from `ledger_transfers`.
CREATE TABLE ledger_accounts (
    id               INTEGER PRIMARY KEY,
    kind             TEXT NOT NULL,
    -- Fixed at creation from the kind: which side may not exceed the other.
    balance_rule     TEXT NOT NULL CHECK (balance_rule IN ('debits_within_credits', 'credits_within_debits', 'unlimited')),
    currency         TEXT NOT NULL,
    label            TEXT NOT NULL,
    -- Who the account belongs to (e.g. 'user:42'); NULL for the platform's own accounts.
    holder           TEXT,
    owner_account_id INTEGER REFERENCES ledger_accounts (id),
    deadline_ms      INTEGER,
    debits_posted    INTEGER NOT NULL DEFAULT 0 CHECK (debits_posted >= 0),
    credits_posted   INTEGER NOT NULL DEFAULT 0 CHECK (credits_posted >= 0),
    debits_pending   INTEGER NOT NULL DEFAULT 0 CHECK (debits_pending >= 0),
    credits_pending  INTEGER NOT NULL DEFAULT 0 CHECK (credits_pending >= 0),
    created_at_ms    INTEGER NOT NULL
) STRICT;

CREATE TABLE ledger_transfers (
    id                INTEGER PRIMARY KEY,
    -- Idempotency: a caller's key names one request, whose JSON is kept to tell a replay from a reuse.
    scope             TEXT NOT NULL,
    idem_key          TEXT NOT NULL,
    request_json      TEXT NOT NULL,
    kind              TEXT NOT NULL,
    state             TEXT NOT NULL,
    debit_account_id  INTEGER NOT NULL REFERENCES ledger_accounts (id),
    credit_account_id INTEGER NOT NULL REFERENCES ledger_accounts (id),
    amount            INTEGER NOT NULL CHECK (amount > 0),
    currency          TEXT NOT NULL,
    code              TEXT NOT NULL,
    reference         TEXT NOT NULL,
    pending_id        INTEGER REFERENCES ledger_transfers (id),
    timeout_at_ms     INTEGER,
    created_at_ms     INTEGER NOT NULL,
    UNIQUE (scope, idem_key)
) STRICT;

CREATE INDEX ledger_accounts_holder ON ledger_accounts (holder);
CREATE INDEX ledger_transfers_debit ON ledger_transfers (debit_account_id, id);
CREATE INDEX ledger_transfers_credit ON ledger_transfers (credit_account_id, id);
CREATE INDEX ledger_transfers_due ON ledger_transfers (timeout_at_ms) WHERE state = 'pending';
