-- The risk rules of transfers to other people (flow F3): one row per version
-- staff saved, the newest in force; with none, the built-in rules are
-- (version 0). Each transfer now keeps the facts it was assessed on, so a
-- draft of the rules can be run over past transfers as they were then.
CREATE TABLE risk_rules (
    version     BIGINT PRIMARY KEY,
    rules_json  TEXT NOT NULL,
    author_id   BIGINT NOT NULL REFERENCES users (id),
    note        TEXT NOT NULL,
    saved_at_ms BIGINT NOT NULL
);

ALTER TABLE p2p_transfers ADD COLUMN facts_json TEXT;

CREATE INDEX p2p_transfers_created ON p2p_transfers (created_at_ms);
