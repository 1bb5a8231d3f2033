-- Flows now write their rows in the ledger job that moves their money, so a
-- withdrawal sub-account needs no attempt numbers and no in-flight clock:
-- 'funding', 'dispensing' and 'reversing' are never entered any more (a
-- release that still had rows in them must settle them before upgrading).
ALTER TABLE sub_withdrawals DROP COLUMN attempt;
ALTER TABLE sub_withdrawals DROP COLUMN claimed_at_ms;

-- Notices are codes with arguments, put in words by the app in the reader's
-- language; the English texts recorded before are kept as legacy notices.
UPDATE notifications
SET event_json = REPLACE(event_json, '{"type":"notice","text":',
                         '{"type":"notice","notice":{"code":"legacy_text","text":') || '}'
WHERE event_json LIKE '{"type":"notice","text":%';
