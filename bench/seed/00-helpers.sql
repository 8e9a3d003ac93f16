-- Helpers for the benchmark seed, prepended to every seed script (one psql session each).
-- Temporary functions (schema pg_temp) leave nothing behind in the database.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
-- A bulk load: losing the last commits in a crash only means seeding again.
SET synchronous_commit = off;
SET maintenance_work_mem = '256MB';
SET work_mem = '64MB';
-- JIT compiling these one-off statements costs more than it saves.
SET jit = off;
-- Foreign keys are checked once, set-based, at the end (06-finish.sql), instead of by a trigger
-- per inserted row (which took more than half of the load time). Only triggers are skipped this
-- way: NOT NULL, CHECK, UNIQUE and the appointments' exclusion constraints are enforced as
-- always, and generated columns are computed as always.
SET session_replication_role = replica;

-- Deterministic "random" integer in [0, m) for row n and a per-use salt: the same data set on
-- every machine and every run.
CREATE FUNCTION pg_temp.r(n bigint, salt int, m int) RETURNS int
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT ((hashint8(n * 1000003 + salt) & 2147483647) % m)::int $$;

-- Ids of the generated rows follow a pattern, so load scripts (wrk, pgbench) can name row n
-- without looking it up: <prefix>-0000-4000-8000-<n, 12 digits>. Still valid version-4 UUIDs.
CREATE FUNCTION pg_temp.bid(prefix text, n bigint) RETURNS uuid
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT (prefix || '-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid $$;

-- Element (0-based, wrapping) of an array.
CREATE FUNCTION pg_temp.pick(a text[], i int) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT a[1 + (i % cardinality(a))] $$;
