-- What housekeeping looks rows up by when it cuts back what only grows:
-- ceremonies and sessions past their expiry, machine API answers past the
-- time they are kept for replays.
CREATE INDEX webauthn_ceremonies_expiry ON webauthn_ceremonies (expires_at_ms);
CREATE INDEX sessions_expiry ON sessions (expires_at_ms);
CREATE INDEX api_requests_age ON api_requests (created_at_ms);
