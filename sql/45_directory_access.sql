-- atl_directory_access: the mirror's per-site access as a writable view.
--   DELETE removes the rows' access at Atlassian (as atl_remove_access():
--          direct roles revoked, granting groups left; a group that grants
--          more refuses, unless atlorg.also_remove_other_grants is on)
--   INSERT grants it (as atl_grant_access(): server, account_id, product,
--          site (a name, URL, cloud id or ARI; or site_id) and role, by
--          default atlassian/user; the account must be in the mirror)
-- The row count and RETURNING are the rows whose change Atlassian made (or
-- found already made), as the mirror now has them.  Refusals, failures,
-- skipped (protected) accounts and dry runs (atlorg.dry_run) leave the
-- mirror as it was, and a NOTICE counts them; the audit (atl_runs) has
-- every request.  A group left also takes, in the mirror, the other access
-- it alone granted.  UPDATE is an error (0A000): DELETE and INSERT say
-- what is meant.
--
-- How: as atl_directory (sql/43_directory.sql).  A rule records the
-- statement's change set in atl_access_changes; a statement trigger on it
-- (C: src/view_access.c) plans and runs it and writes back what came of
-- it; the rule's second action changes the mirror from that.
-- Its columns are the mirror's (server, atl_access's, synced_at), so the
-- rules below return the mirror's rows as they are (RETURNING m.*, RETURNING *).
CREATE VIEW atl_directory_access AS
  SELECT * FROM atl_mirror_access;

COMMENT ON VIEW atl_directory_access IS
  'atlorg: the mirror''s product access per site; DELETE removes access at Atlassian, INSERT grants it';

CREATE SEQUENCE atl_access_changes_seq;
CREATE UNLOGGED TABLE atl_access_changes (
  change_id      bigint PRIMARY KEY DEFAULT nextval('atl_access_changes_seq'),
  backend_pid    integer NOT NULL DEFAULT pg_backend_pid(),
  kind           text NOT NULL CHECK (kind IN ('remove', 'grant', 'update')),
  server         name,
  account_id     text,
  product        text,
  site           text,       -- as named: a site id (DELETE), or what the INSERT gave
  role           text,       -- grant: the role
  readonly_given text,       -- INSERT: a column it may not give
  -- filled in by the trigger
  applied        boolean,    -- Atlassian made the change (or found it made)
  granted        atl_access  -- grant: the mirror's row from now on
);
CREATE INDEX atl_access_changes_pid_idx ON atl_access_changes (backend_pid, account_id);

-- A session sees and changes only its own change set.
ALTER TABLE atl_access_changes ENABLE ROW LEVEL SECURITY;
CREATE POLICY atl_access_changes_own ON atl_access_changes
  USING (backend_pid = pg_backend_pid()) WITH CHECK (backend_pid = pg_backend_pid());

-- The checks of a change set before anything is sent.
CREATE FUNCTION atl_access_check(changes atl_access_changes[])
RETURNS void LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, atlorg, pg_temp
AS $$
DECLARE
  bad record;
BEGIN
  IF EXISTS (SELECT FROM unnest(changes) c WHERE c.kind = 'update') THEN
    RAISE EXCEPTION 'cannot update view "atl_directory_access"'
      USING ERRCODE = 'feature_not_supported',
            HINT = 'DELETE removes an access and INSERT grants one; to change a role, INSERT the new one.';
  END IF;
  SELECT c.readonly_given AS col INTO bad FROM unnest(changes) c
   WHERE c.readonly_given IS NOT NULL LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'cannot insert into column "%" of view "atl_directory_access"', bad.col
      USING ERRCODE = 'feature_not_supported',
            DETAIL = 'It is read from Atlassian; atl_sync() refreshes it.',
            HINT = 'An INSERT gives server, account_id, product, site (or site_id) and role.';
  END IF;
  SELECT c.account_id, c.product, c.site INTO bad FROM unnest(changes) c
   WHERE c.account_id IS NULL OR c.product IS NULL OR c.site IS NULL OR c.server IS NULL LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'an access needs an account_id, a product and a site'
      USING ERRCODE = 'not_null_violation',
            DETAIL = format('account_id %s, product %s, site %s', quote_nullable(bad.account_id),
                            quote_nullable(bad.product), quote_nullable(bad.site));
  END IF;
  SELECT c.account_id, c.server INTO bad FROM unnest(changes) c
   WHERE c.kind = 'grant'
     AND NOT EXISTS (SELECT FROM atl_mirror_users m
                      WHERE m.server = c.server AND m.account_id = c.account_id) LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'account % is not in the mirror of server %', bad.account_id, bad.server
      USING ERRCODE = 'foreign_key_violation',
            HINT = 'Run atl_sync() first, or grant it with atl_grant_access().';
  END IF;
END
$$;
COMMENT ON FUNCTION atl_access_check(atl_access_changes[]) IS
  'internal: the checks of an atl_directory_access change set (called by its trigger)';

-- What came of one part of a change set (its changes: one kind, server,
-- product, site and role), written back to it; and the mirror's
-- memberships and access follow the groups Atlassian let the accounts
-- leave.
CREATE FUNCTION atl_access_record(change_ids bigint[], sent atl_audit[])
RETURNS void LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, atlorg, pg_temp
AS $$
DECLARE
  one atl_access_changes;
  s record;
BEGIN
  SELECT * INTO one FROM atl_access_changes c WHERE c.change_id = change_ids[1];
  UPDATE atl_access_changes c
     SET applied = NOT EXISTS (SELECT FROM unnest(sent) a
                                WHERE a.account_id = c.account_id
                                  AND a.outcome NOT IN ('succeeded', 'already'))
                   AND (c.kind = 'remove'
                        OR EXISTS (SELECT FROM unnest(sent) a WHERE a.account_id = c.account_id))
   WHERE c.change_id = ANY (change_ids);

  IF one.kind = 'grant' THEN
    s := atl_access_site(one.site, atl_access_product(one.product), one.server);
    UPDATE atl_access_changes c
       SET granted = ROW(c.account_id, u.email, atl_access_product(c.product), s.name, w.host_url,
                     CASE WHEN m.role = 'atlassian/admin' THEN m.role ELSE c.role END, true,
                     coalesce(m.via_groups, '{}'), coalesce(m.via_group_ids, '{}'), m.last_active,
                     coalesce(m.resource_id, w.resource_id), s.site_id)::atl_access
      FROM atl_mirror_users u
      LEFT JOIN LATERAL (SELECT w.host_url, w.resource_id FROM atl_sites(one.server) w
                          WHERE w.site_id = s.site_id LIMIT 1) w ON true
      LEFT JOIN atl_mirror_access m
        ON m.server = one.server AND m.account_id = u.account_id
       AND m.product = atl_access_product(one.product) AND m.site_id = s.site_id
     WHERE c.change_id = ANY (change_ids) AND c.applied
       AND u.server = c.server AND u.account_id = c.account_id;
    -- the rule inserts the new row in its place
    DELETE FROM atl_mirror_access m USING atl_access_changes c
     WHERE c.change_id = ANY (change_ids) AND c.applied
       AND m.server = c.server AND m.account_id = c.account_id
       AND m.product = (c.granted).product AND m.site_id = (c.granted).site_id;
    RETURN;
  END IF;

  -- the groups left, in the mirror: memberships, and the access they gave
  DELETE FROM atl_mirror_group_members g USING unnest(sent) a
   WHERE a.action = 'remove_from_group' AND a.outcome IN ('succeeded', 'already')
     AND g.server = one.server AND g.group_id = a.target AND g.account_id = a.account_id;
  UPDATE atl_mirror_access m
     SET via_groups = ARRAY(SELECT n FROM unnest(m.via_groups, m.via_group_ids) v(n, i)
                             WHERE NOT EXISTS (SELECT FROM unnest(sent) a
                                                WHERE a.action = 'remove_from_group'
                                                  AND a.outcome IN ('succeeded', 'already')
                                                  AND a.account_id = m.account_id AND a.target = v.i)),
         via_group_ids = ARRAY(SELECT i FROM unnest(m.via_group_ids) i
                                WHERE NOT EXISTS (SELECT FROM unnest(sent) a
                                                   WHERE a.action = 'remove_from_group'
                                                     AND a.outcome IN ('succeeded', 'already')
                                                     AND a.account_id = m.account_id AND a.target = i))
    FROM unnest(sent) a
   WHERE a.action = 'remove_from_group' AND a.outcome IN ('succeeded', 'already')
     AND m.server = one.server AND m.account_id = a.account_id AND a.target = ANY (m.via_group_ids);
  DELETE FROM atl_mirror_access m
   WHERE m.server = one.server AND cardinality(m.via_group_ids) = 0 AND m.direct IS FALSE
     AND m.account_id IN (SELECT a.account_id FROM unnest(sent) a
                           WHERE a.action = 'remove_from_group' AND a.outcome IN ('succeeded', 'already'))
     AND NOT EXISTS (SELECT FROM atl_access_changes c
                      WHERE c.change_id = ANY (change_ids) AND c.account_id = m.account_id
                        AND c.site = m.site_id AND atl_access_product(c.product) = m.product);
END
$$;
COMMENT ON FUNCTION atl_access_record(bigint[], atl_audit[]) IS
  'internal: writes back what came of part of an atl_directory_access change set (called by its trigger)';

-- The statement trigger (src/view_access.c).  It refuses to run as
-- anything but this trigger.
CREATE FUNCTION atl_access_apply()
RETURNS trigger
AS 'MODULE_PATHNAME', 'atl_access_apply'
LANGUAGE C;
COMMENT ON FUNCTION atl_access_apply() IS
  'internal: acts on the change set of a DELETE or INSERT on atl_directory_access (the trigger of atl_access_changes)';

CREATE TRIGGER atl_access_apply AFTER INSERT ON atl_access_changes
  REFERENCING NEW TABLE AS captured
  FOR EACH STATEMENT EXECUTE FUNCTION atl_access_apply();

-- The session's own applied changes of a kind, for the rules' actions
-- below: a function the planner expects many rows of, for the reason
-- atl_directory_changes_mine() gives (sql/43_directory.sql).  The kind and
-- applied are asked inside: each condition outside would cut the planner's
-- guess (the view's own WHERE adds more, product = ... and the like).
CREATE FUNCTION atl_access_changes_mine(kind text)
RETURNS SETOF atl_access_changes
LANGUAGE sql STABLE ROWS 100000
SET search_path = pg_catalog, atlorg, pg_temp
AS $$
  SELECT * FROM atlorg.atl_access_changes c
   WHERE c.backend_pid = pg_backend_pid() AND c.kind = $1 AND c.applied
$$;
COMMENT ON FUNCTION atl_access_changes_mine(text) IS
  'action: the applied changes of one kind in the calling session''s change set of atl_directory_access (its rules'' actions read them)';

-- The change set stays until the session's next statement on the view
-- (the trigger clears it then): a last DELETE here would be what the
-- DELETE's row count counts.
CREATE RULE atl_directory_access_delete AS ON DELETE TO atl_directory_access DO INSTEAD (
  INSERT INTO atl_access_changes (kind, server, account_id, product, site)
  VALUES ('remove', OLD.server, OLD.account_id, OLD.product, OLD.site_id);
  DELETE FROM atl_mirror_access m
   USING atl_access_changes_mine('remove') c
   WHERE c.server = OLD.server AND c.account_id = OLD.account_id
     AND c.product = OLD.product AND c.site = OLD.site_id
     AND m.server = OLD.server AND m.account_id = OLD.account_id
     AND m.product = OLD.product AND m.site_id = OLD.site_id
  RETURNING m.*
);

CREATE RULE atl_directory_access_insert AS ON INSERT TO atl_directory_access DO INSTEAD (
  INSERT INTO atl_access_changes (kind, server, account_id, product, site, role, readonly_given)
  VALUES ('grant', coalesce(NEW.server, atl_server()), NEW.account_id, NEW.product,
          coalesce(NEW.site_id, NEW.site), coalesce(NEW.role, 'atlassian/user'),
          CASE WHEN NEW.email IS NOT NULL THEN 'email'
               WHEN NEW.site_url IS NOT NULL THEN 'site_url'
               WHEN NEW.direct IS NOT NULL THEN 'direct'
               WHEN NEW.via_groups IS NOT NULL THEN 'via_groups'
               WHEN NEW.via_group_ids IS NOT NULL THEN 'via_group_ids'
               WHEN NEW.last_active IS NOT NULL THEN 'last_active'
               WHEN NEW.resource_id IS NOT NULL THEN 'resource_id'
               WHEN NEW.synced_at IS NOT NULL THEN 'synced_at'
               WHEN NEW.site IS NOT NULL AND NEW.site_id IS NOT NULL THEN 'site_id'
          END);
  INSERT INTO atl_mirror_access
  SELECT c.server, (c.granted).*, now()
    FROM atl_access_changes_mine('grant') c
   WHERE c.server = coalesce(NEW.server, atl_server()) AND c.account_id = NEW.account_id
     AND c.product = NEW.product AND c.site = coalesce(NEW.site_id, NEW.site)
  RETURNING *
);

-- Seats per server, product and site, from the mirror: the numbers a
-- licence renewal needs (atl_seats_of() gives the same from live or
-- export-file rows).
CREATE VIEW atl_seats AS
  SELECT srv.server, s.*
    FROM (SELECT DISTINCT m.server FROM atl_mirror_access m) AS srv,
         atl_seats_of(ARRAY(SELECT ROW(m.account_id, m.email, m.product, m.site, m.site_url,
                                       m.role, m.direct, m.via_groups, m.via_group_ids,
                                       m.last_active, m.resource_id, m.site_id)::atl_access
                              FROM atl_mirror_access m WHERE m.server = srv.server)) AS s;
COMMENT ON VIEW atl_seats IS
  'atlorg: seats per product and site in the mirror: active in the last 30/60/90 days, never used';

-- UPDATE is refused (by the trigger's check), not passed to the mirror.
CREATE RULE atl_directory_access_update AS ON UPDATE TO atl_directory_access DO INSTEAD
  INSERT INTO atl_access_changes (kind, server, account_id, product, site)
  VALUES ('update', OLD.server, OLD.account_id, OLD.product, OLD.site_id);
