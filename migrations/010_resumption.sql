-- Session resumption (docs/protocol.md §9): a dropped session is suspended on its row,
-- keeping its quota slot, until a client claims it with its Resume-Id token or its
-- window ends. A live row carries its socket's token hash too, so a client that comes
-- back through another instance before this one noticed the drop finds its session. A suspended row belongs to no instance: the sweeps of dead instances
-- and of stray rows leave it alone, and any instance frees it once the window ends.

ALTER TABLE sessions
  ADD COLUMN suspended_until timestamptz,
  -- SHA-256 of the Resume-Id token of the session's socket (its last one while
  -- suspended); the token itself is never stored.
  ADD COLUMN resume_hash bytea,
  -- The session's state and its last answers, as the suspending instance wrote them.
  ADD COLUMN resume_state jsonb,
  -- When another instance last took the session over: the stray sweep counts a row's
  -- age from then, as its new owner may not have listed it among its sockets yet.
  ADD COLUMN claimed_at timestamptz,
  ADD CONSTRAINT sessions_suspended_check
    CHECK ((suspended_until IS NULL) = (resume_state IS NULL) AND (suspended_until IS NULL OR resume_hash IS NOT NULL));

CREATE UNIQUE INDEX sessions_resume_hash_idx ON sessions (resume_hash) WHERE resume_hash IS NOT NULL;
CREATE INDEX sessions_suspended_idx ON sessions (suspended_until) WHERE suspended_until IS NOT NULL;
