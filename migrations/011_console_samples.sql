-- The console's chart (README, "The admin console"): authorized sessions per app,
-- sampled from apps.authorized_sessions every interval by every instance that serves
-- the console. `at` is the start of the interval, so the instances' samples of one
-- interval collide on the primary key and all but the first are dropped
-- (ON CONFLICT DO NOTHING): one series, whichever instances are up, with no lock.
CREATE TABLE console_samples (
  app_id     bigint      NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
  at         timestamptz NOT NULL,
  authorized integer     NOT NULL,
  PRIMARY KEY (app_id, at)
);

CREATE INDEX console_samples_at_idx ON console_samples (at);
