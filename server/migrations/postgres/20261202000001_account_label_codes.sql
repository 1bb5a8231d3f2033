-- The names the bank gives its accounts become codes the views translate
-- (shared::ledger::account_label); until now they were English text.
UPDATE ledger_accounts SET label = 'ordinary' WHERE label = 'Ordinary account';
UPDATE ledger_accounts SET label = 'savings' WHERE label = 'Savings';
UPDATE ledger_accounts SET label = 'withdrawal_sub' WHERE label = 'Withdrawal sub-account';
