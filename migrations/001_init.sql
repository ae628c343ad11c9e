-- Apps, licenses, the client-id blacklist, live sessions with instance leases,
-- and per-IP rate-limit cool-downs.

CREATE TABLE apps (
  id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name                text NOT NULL,
  version             text NOT NULL DEFAULT '1.0.0',
  websocket_api_key   text NOT NULL UNIQUE CHECK (char_length(websocket_api_key) = 21),
  paused              boolean NOT NULL DEFAULT false,
  session_limit       integer NOT NULL DEFAULT 100 CHECK (session_limit >= 0),
  -- Authorized sessions holding a quota slot. Every change is tied to one session
  -- row changing state in the same statement, so it cannot drift.
  authorized_sessions integer NOT NULL DEFAULT 0 CHECK (authorized_sessions >= 0),
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE licenses (
  id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  app_id            bigint NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
  key               text NOT NULL CHECK (char_length(key) BETWEEN 6 AND 64),
  levels            jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(levels) = 'object'),
  comment           text,
  duration_seconds  bigint NOT NULL CHECK (duration_seconds > 0),
  activated_at      timestamptz,
  expires_at        timestamptz,
  -- While paused, the remaining time is frozen at expires_at - paused_at;
  -- unpausing moves expires_at forward by the paused span.
  paused_at         timestamptz,
  blacklisted_at    timestamptz,
  blacklist_comment text,
  client_id         text,
  ip_address        text,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  UNIQUE (app_id, key)
);

CREATE TABLE client_blacklist (
  app_id     bigint NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
  client_id  text NOT NULL,
  comment    text,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (app_id, client_id)
);

-- One row per running server instance; its sessions count while its lease holds.
CREATE TABLE instances (
  id               uuid PRIMARY KEY,
  started_at       timestamptz NOT NULL DEFAULT now(),
  lease_expires_at timestamptz NOT NULL
);

CREATE TABLE sessions (
  id             uuid PRIMARY KEY,
  instance_id    uuid NOT NULL,
  app_id         bigint NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
  client_id      text NOT NULL,
  ip_address     text,
  license_id     bigint REFERENCES licenses (id) ON DELETE SET NULL,
  initialized_at timestamptz NOT NULL DEFAULT now(),
  authorized_at  timestamptz
);
CREATE INDEX sessions_app_idx ON sessions (app_id);
CREATE INDEX sessions_instance_idx ON sessions (instance_id);
CREATE INDEX sessions_license_idx ON sessions (license_id) WHERE license_id IS NOT NULL;

CREATE TABLE ip_cooldowns (
  ip    text PRIMARY KEY,
  until timestamptz NOT NULL
);

-- Initialize (docs/protocol.md §7, type 0) from the cool-down check on, in one round trip.
-- status 0 = the IP is cooling down (close 4201) with cooldown_seconds left.
CREATE FUNCTION lw_initialize (
  p_session uuid, p_instance uuid, p_api_key text, p_client_id text, p_ip text
) RETURNS TABLE (status integer, app_id bigint, app_name text, app_version text, cooldown_seconds integer)
LANGUAGE plpgsql AS $$
DECLARE
  a apps%ROWTYPE;
  left_s integer;
BEGIN
  SELECT ceil(extract(epoch FROM c.until - clock_timestamp()))::integer INTO left_s
    FROM ip_cooldowns c WHERE c.ip = p_ip AND c.until > clock_timestamp();
  IF FOUND THEN
    RETURN QUERY SELECT 0, NULL::bigint, NULL::text, NULL::text, greatest(left_s, 1);
    RETURN;
  END IF;
  IF p_api_key IS NULL THEN
    -- The caller already knows the answer; it only asked about the cool-down.
    RETURN QUERY SELECT -1, NULL::bigint, NULL::text, NULL::text, NULL::integer;
    RETURN;
  END IF;
  SELECT * INTO a FROM apps WHERE websocket_api_key = p_api_key;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 600, NULL::bigint, NULL::text, NULL::text, NULL::integer;
  ELSIF a.paused THEN
    RETURN QUERY SELECT 601, a.id, NULL::text, NULL::text, NULL::integer;
  ELSIF EXISTS (SELECT 1 FROM client_blacklist b WHERE b.app_id = a.id AND b.client_id = p_client_id) THEN
    RETURN QUERY SELECT 503, a.id, NULL::text, NULL::text, NULL::integer;
  ELSIF a.authorized_sessions >= a.session_limit THEN
    RETURN QUERY SELECT 602, a.id, NULL::text, NULL::text, NULL::integer;
  ELSE
    INSERT INTO sessions (id, instance_id, app_id, client_id, ip_address)
      VALUES (p_session, p_instance, a.id, p_client_id, p_ip);
    RETURN QUERY SELECT 1, a.id, a.name, a.version, NULL::integer;
  END IF;
END
$$;

-- Authorize by license (docs/protocol.md §7, type 2) from step 3 on: lookup, checks,
-- quota slot, activation and binding, all or nothing.
CREATE FUNCTION lw_authorize_license (
  p_session uuid, p_app bigint, p_key text, p_client_id text, p_ip text
) RETURNS TABLE (
  status integer, levels jsonb, comment text, ip_address text,
  expires_at double precision, paused_at double precision, now double precision,
  activated_now boolean, license_id bigint
)
LANGUAGE plpgsql AS $$
DECLARE
  l licenses%ROWTYPE;
  t timestamptz := clock_timestamp();
  s integer;
  fresh boolean := false;
BEGIN
  SELECT * INTO l FROM licenses WHERE licenses.app_id = p_app AND key = p_key FOR UPDATE;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 100, NULL::jsonb, NULL::text, NULL::text, NULL::float8, NULL::float8,
      extract(epoch FROM t)::float8, false, NULL::bigint;
    RETURN;
  END IF;
  IF l.blacklisted_at IS NOT NULL THEN s := 105;
  ELSIF l.paused_at IS NOT NULL THEN s := 104;
  ELSIF l.client_id IS NOT NULL AND l.client_id <> p_client_id THEN s := 502;
  ELSIF l.activated_at IS NOT NULL AND (l.expires_at IS NULL OR l.expires_at <= t) THEN s := 103;
  ELSE
    UPDATE apps SET authorized_sessions = authorized_sessions + 1
      WHERE id = p_app AND authorized_sessions < session_limit;
    IF NOT FOUND THEN
      s := 602;
    ELSE
      UPDATE sessions SET license_id = l.id, authorized_at = t
        WHERE id = p_session AND authorized_at IS NULL;
      IF NOT FOUND THEN
        -- The session row is gone (its instance lost its lease, or the app was
        -- deleted): undo the slot by failing the whole call.
        RAISE EXCEPTION 'licensewire: session % is not live', p_session;
      END IF;
      fresh := l.activated_at IS NULL;
      UPDATE licenses SET
          activated_at = coalesce(licenses.activated_at, t),
          expires_at = CASE WHEN licenses.activated_at IS NULL
                            THEN t + make_interval(secs => licenses.duration_seconds)
                            ELSE licenses.expires_at END,
          client_id = coalesce(licenses.client_id, p_client_id),
          ip_address = p_ip,
          updated_at = t
        WHERE id = l.id
        RETURNING * INTO l;
      s := 1;
    END IF;
  END IF;
  RETURN QUERY SELECT s, l.levels, l.comment, l.ip_address,
    extract(epoch FROM l.expires_at)::float8, extract(epoch FROM l.paused_at)::float8,
    extract(epoch FROM t)::float8, fresh, l.id;
END
$$;

-- Drops a session's authorization and gives its quota slot back, exactly once.
CREATE FUNCTION lw_release_authorization (p_session uuid) RETURNS boolean
LANGUAGE sql AS $$
  WITH s AS (
    UPDATE sessions SET license_id = NULL, authorized_at = NULL
      WHERE id = p_session AND authorized_at IS NOT NULL
      RETURNING app_id
  ), a AS (
    UPDATE apps SET authorized_sessions = authorized_sessions - 1
      FROM s WHERE apps.id = s.app_id
      RETURNING 1
  )
  SELECT EXISTS (SELECT 1 FROM a)
$$;

-- Ends a session: its row goes, and its slot with it when it held one.
CREATE FUNCTION lw_end_session (p_session uuid) RETURNS boolean
LANGUAGE sql AS $$
  WITH s AS (
    DELETE FROM sessions WHERE id = p_session RETURNING app_id, authorized_at
  ), a AS (
    UPDATE apps SET authorized_sessions = authorized_sessions - 1
      FROM s WHERE apps.id = s.app_id AND s.authorized_at IS NOT NULL
      RETURNING 1
  )
  SELECT EXISTS (SELECT 1 FROM s)
$$;

-- Removes instances whose lease ran out, with their sessions and slots.
CREATE FUNCTION lw_sweep_dead_instances () RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  n integer;
BEGIN
  WITH dead AS (
    DELETE FROM instances WHERE lease_expires_at < clock_timestamp() RETURNING id
  ), gone AS (
    DELETE FROM sessions s USING dead WHERE s.instance_id = dead.id
      RETURNING s.app_id, s.authorized_at
  ), freed AS (
    SELECT g.app_id, count(*)::integer AS n FROM gone g
      WHERE g.authorized_at IS NOT NULL GROUP BY g.app_id
  ), upd AS (
    UPDATE apps SET authorized_sessions = apps.authorized_sessions - freed.n
      FROM freed WHERE apps.id = freed.app_id
      RETURNING 1
  )
  SELECT count(*)::integer INTO n FROM gone;
  -- Sessions whose instance row never existed or vanished without a sweep.
  WITH orphan AS (
    DELETE FROM sessions s
      WHERE NOT EXISTS (SELECT 1 FROM instances i WHERE i.id = s.instance_id)
        AND s.initialized_at < clock_timestamp() - interval '1 minute'
      RETURNING s.app_id, s.authorized_at
  ), freed AS (
    SELECT o.app_id, count(*)::integer AS n FROM orphan o
      WHERE o.authorized_at IS NOT NULL GROUP BY o.app_id
  )
  UPDATE apps SET authorized_sessions = apps.authorized_sessions - freed.n
    FROM freed WHERE apps.id = freed.app_id;
  DELETE FROM ip_cooldowns WHERE until < clock_timestamp();
  RETURN n;
END
$$;

-- Graceful shutdown: give up every session of one instance at once.
CREATE FUNCTION lw_retire_instance (p_instance uuid) RETURNS integer
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE instances SET lease_expires_at = '-infinity' WHERE id = p_instance;
  RETURN lw_sweep_dead_instances();
END
$$;
