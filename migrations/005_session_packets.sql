-- Packet 6 (Blacklist): the app's cap on client-id blacklist entries, and who made
-- each entry.

ALTER TABLE apps
  ADD COLUMN blacklist_limit integer NOT NULL DEFAULT 10000 CHECK (blacklist_limit >= 0);

-- Entries made before this migration came from the management API.
ALTER TABLE client_blacklist
  ADD COLUMN source text NOT NULL DEFAULT 'admin' CHECK (source IN ('admin', 'client'));
