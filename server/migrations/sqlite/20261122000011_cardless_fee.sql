-- The fee charged with a cardless withdrawal, fixed when it is prepared so a
-- later change of the fee schedule never changes a reservation already made.
ALTER TABLE cardless_withdrawals ADD COLUMN fee_yen INTEGER NOT NULL DEFAULT 0 CHECK (fee_yen >= 0);
