--
-- Attack: every function atlorg ships, called by every kind of role, with
-- NULLs and with hostile arguments.
--
-- Each role may call exactly the functions of its kinds (a function's kind
-- is the first word of its comment; the install derives the grants from
-- it): a stranger none, a reader the reads, an actor the reads and actions,
-- a manager those and the management functions; internal and owner-only
-- functions nobody.  Whatever the arguments, a call returns or fails with
-- a clear error: never an internal error, never a crash.
--
\getenv fake_key FAKE_KEY
SELECT pg_postmaster_start_time() AS started_at \gset

-- Every function has a kind, and its grants are its kind's.
SELECT substring(obj_description(p.oid, 'pg_proc'), '^(\w+):') AS kind, count(*) AS functions,
       bool_and(has_function_privilege('atlorg_reader', p.oid, 'EXECUTE')) AS reader_all,
       bool_or(has_function_privilege('atlorg_reader', p.oid, 'EXECUTE')) AS reader_any,
       bool_and(has_function_privilege('atlorg_actor', p.oid, 'EXECUTE')) AS actor_all,
       bool_or(has_function_privilege('atlorg_actor', p.oid, 'EXECUTE')) AS actor_any,
       bool_or(has_function_privilege('public', p.oid, 'EXECUTE')) AS public_any
  FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass
 WHERE d.deptype = 'e' AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'atlorg')
 GROUP BY 1 ORDER BY 1;

-- The roles, each with a key for the organization.
CREATE ROLE atl_sweep_stranger;
CREATE ROLE atl_sweep_reader IN ROLE atlorg_reader;
CREATE ROLE atl_sweep_actor IN ROLE atlorg_actor;
CREATE ROLE atl_sweep_manager IN ROLE atlorg_manager;
GRANT USAGE ON FOREIGN SERVER acme TO atl_sweep_stranger, atl_sweep_reader, atl_sweep_actor, atl_sweep_manager;
CREATE USER MAPPING FOR atl_sweep_stranger SERVER acme OPTIONS (api_key :'fake_key');
CREATE USER MAPPING FOR atl_sweep_reader SERVER acme OPTIONS (api_key :'fake_key');
CREATE USER MAPPING FOR atl_sweep_actor SERVER acme OPTIONS (api_key :'fake_key');
CREATE USER MAPPING FOR atl_sweep_manager SERVER acme OPTIONS (api_key :'fake_key');

-- A hostile value of each type: path tricks, quotes, a line separator and
-- 70 kB of text; an array with a null and an over-long id; deep JSON.
CREATE FUNCTION pg_temp.hostile(t regtype) RETURNS text LANGUAGE sql AS $$
  SELECT CASE t
    WHEN 'text'::regtype THEN quote_literal('../../x''"%00' || chr(8232) || repeat('x', 70000))
    WHEN 'text[]'::regtype THEN quote_literal(ARRAY['5b10ac8d82e05b22cc7d4ef5', NULL, repeat('y', 500)]::text)
    WHEN 'name'::regtype THEN quote_literal('acme"; DROP TABLE x; --')
    WHEN 'boolean'::regtype THEN 'true'
    WHEN 'bigint'::regtype THEN '-1'
    WHEN 'integer'::regtype THEN '(-2147483648)'
    WHEN 'jsonb'::regtype THEN quote_literal(repeat('[', 3000) || repeat(']', 3000))
    WHEN 'bytea'::regtype THEN quote_literal('\x00ff2c0a22')
    WHEN 'timestamptz'::regtype THEN quote_literal('-infinity')
    WHEN 'interval'::regtype THEN quote_literal('-1000 years')
    WHEN 'oid'::regtype THEN '0'
    WHEN 'regclass'::regtype THEN quote_literal('pg_authid')
    ELSE 'NULL'
  END || '::' || t::text
$$;

-- One call: 'ok', or the SQLSTATE it failed with.  Each argument is a
-- scalar subquery, so that the planner can neither fold a strict call
-- with a null argument nor drop an unused one: every call really happens
-- (and has its EXECUTE privilege checked).
CREATE FUNCTION pg_temp.try(fn regprocedure, hostile boolean) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  args text;
  sql text;
BEGIN
  SELECT string_agg(format('(SELECT %s LIMIT 1)',
                           CASE WHEN hostile THEN pg_temp.hostile(a.t::regtype)
                                ELSE 'NULL::' || a.t::regtype::text END),
                    ', ' ORDER BY a.i)
    INTO args
    FROM unnest((SELECT p.proargtypes::oid[] FROM pg_proc p WHERE p.oid = fn)) WITH ORDINALITY AS a(t, i);
  sql := format(CASE WHEN (SELECT p.proretset FROM pg_proc p WHERE p.oid = fn)
                     THEN 'SELECT count(*) FROM atlorg.%I(%s)'
                     ELSE 'SELECT atlorg.%I(%s) IS NULL' END,
                (SELECT p.proname FROM pg_proc p WHERE p.oid = fn), coalesce(args, ''));
  EXECUTE sql;
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE;
END
$$;

CREATE TEMP TABLE sweep (who name, fn regprocedure, kind text, hostile boolean, result text);
GRANT INSERT ON sweep TO PUBLIC;
CREATE TEMP VIEW atlorg_functions AS
  SELECT p.oid::regprocedure AS fn, substring(obj_description(p.oid, 'pg_proc'), '^(\w+):') AS kind
    FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass
   WHERE d.deptype = 'e' AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'atlorg');
GRANT SELECT ON atlorg_functions TO PUBLIC;

-- Atlassian answers 503 to everything, actions are dry runs: what is swept
-- is atlorg's own handling, and nothing reaches the organization.
\! test/fakectl.py reset-log
\! test/fakectl.py fault '{"path": ".", "kind": "status", "status": 503}'
ALTER ROLE atl_sweep_stranger SET atlorg.max_retries = 0;
SET atlorg.max_retries = 0;
SET atlorg.dry_run = on;
SET statement_timeout = '60s';

SET ROLE atl_sweep_stranger;
INSERT INTO sweep SELECT current_user, f.fn, f.kind, h, pg_temp.try(f.fn, h)
  FROM atlorg_functions f, (VALUES (false), (true)) AS v(h);
SET ROLE atl_sweep_reader;
INSERT INTO sweep SELECT current_user, f.fn, f.kind, h, pg_temp.try(f.fn, h)
  FROM atlorg_functions f, (VALUES (false), (true)) AS v(h);
SET ROLE atl_sweep_actor;
INSERT INTO sweep SELECT current_user, f.fn, f.kind, h, pg_temp.try(f.fn, h)
  FROM atlorg_functions f, (VALUES (false), (true)) AS v(h);
SET ROLE atl_sweep_manager;
INSERT INTO sweep SELECT current_user, f.fn, f.kind, h, pg_temp.try(f.fn, h)
  FROM atlorg_functions f, (VALUES (false), (true)) AS v(h);
RESET ROLE;
\! test/fakectl.py clear-faults
-- (Only a superuser or pg_read_server_files may read files on the server.)
SELECT who, fn, hostile FROM sweep
 WHERE who = 'atl_sweep_reader' AND kind = 'read' AND result = '42501' ORDER BY 1, 2, 3;

-- Who may call what: denied (42501) exactly outside each role's kinds.
SELECT who, kind, count(*) AS calls,
       count(*) FILTER (WHERE result = '42501') AS denied,
       count(*) FILTER (WHERE result <> '42501') AS ran
  FROM sweep GROUP BY 1, 2 ORDER BY 1, 2;

-- No call failed in a way a user cannot act on: no internal error (XX...),
-- no system error (58...).  (08006 is atlorg's word for an organization
-- that cannot be reached: here the fake answers 503 to everything.)
SELECT who, fn, hostile, result FROM sweep
 WHERE result LIKE 'XX%' OR result LIKE '58%' ORDER BY 1, 2, 3;

-- The errors the allowed calls gave, by SQLSTATE.
SELECT result, count(*) FROM sweep WHERE result NOT IN ('ok', '42501') GROUP BY 1 ORDER BY 1;

-- The server never restarted, and nothing was sent.
SELECT pg_postmaster_start_time() = :'started_at' AS same_server;
SELECT count(*) AS not_dry_run FROM atl_audit
 WHERE acted_by IN ('atl_sweep_reader', 'atl_sweep_actor', 'atl_sweep_manager', 'atl_sweep_stranger') AND outcome <> 'dry_run';
\! test/fakectl.py sent 'lifecycle|suspend|restore|memberships|roles/(assign|revoke)|manage/(email|profile)'

RESET atlorg.dry_run;
RESET atlorg.max_retries;
RESET statement_timeout;
DROP USER MAPPING FOR atl_sweep_stranger SERVER acme;
DROP USER MAPPING FOR atl_sweep_reader SERVER acme;
DROP USER MAPPING FOR atl_sweep_actor SERVER acme;
DROP USER MAPPING FOR atl_sweep_manager SERVER acme;
DROP OWNED BY atl_sweep_stranger, atl_sweep_reader, atl_sweep_actor, atl_sweep_manager;
DROP ROLE atl_sweep_stranger, atl_sweep_reader, atl_sweep_actor, atl_sweep_manager;
