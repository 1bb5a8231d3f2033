-- Rate limits and lockout counters, kept in the database so that every
-- server instance on it counts together: one row per (limit, key) holding
-- the time up to which that key's allowance is spent (GCRA).
CREATE TABLE rate_limits (
    scope   TEXT NOT NULL,
    key     TEXT NOT NULL,
    tat_ms  BIGINT NOT NULL,
    PRIMARY KEY (scope, key)
);
