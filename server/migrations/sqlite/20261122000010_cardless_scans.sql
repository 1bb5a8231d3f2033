-- Which ATM scanned a withdrawal's code, and the approval it raised on the phone.
ALTER TABLE cardless_withdrawals ADD COLUMN atm_id INTEGER REFERENCES atms (id);
ALTER TABLE cardless_withdrawals ADD COLUMN approval_id INTEGER REFERENCES approvals (id);
