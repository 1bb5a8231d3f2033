-- Installation-wide settings and facts (when this database was created,
-- whether demo data was seeded). Times are Unix milliseconds on both engines.
CREATE TABLE settings (
    key           TEXT PRIMARY KEY NOT NULL,
    value         TEXT NOT NULL,
    updated_at_ms BIGINT NOT NULL
);
