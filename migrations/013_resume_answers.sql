-- A suspended session's last answers move out of resume_state into a text column of
-- their own, one frame a line (docs/protocol.md §9): as JSON, every quote of every
-- frame was escaped by the server and parsed by Postgres on the way in, and the other
-- way on the way out, for text that is only stored and given back.
-- lw_suspend_sessions (uuid, jsonb, integer), which keeps them inside resume_state,
-- stays for instances of the previous version during a rolling deploy; the claim
-- reads what either one wrote.
ALTER TABLE sessions ADD COLUMN resume_answers text;
