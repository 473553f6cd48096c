-- Previews that know: what Atlassian would answer each request of a dry
-- run, as far as the mirror and the organization's verified domains tell.
-- One row per element of account_ids, in order: the error key and reason
-- Atlassian would refuse it with (its own words, as the real refusal's
-- audit row would carry them), or 'already' when the account is already as
-- asked; null when it would go through.  Protected accounts are skipped
-- before this is asked (atl_protections).  Every dry run asks it as its
-- caller, once.
CREATE FUNCTION atl_predictions(actions text[], account_ids text[], targets text[], bodies jsonb[],
                                server name, verified_domains text[])
RETURNS TABLE (ord bigint, error_key text, error_reason text, detail text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, atlorg, pg_temp
AS $$
  SELECT u.i, p.error_key, p.error_reason, p.detail
    FROM unnest(atl_predictions.actions, atl_predictions.account_ids, atl_predictions.targets,
                atl_predictions.bodies) WITH ORDINALITY AS u(action, a, t, b, i)
    -- what each action changes, and through which API: atl_actions
    LEFT JOIN atlorg.atl_action_catalogue() c ON c.action = u.action
    LEFT JOIN atlorg.atl_mirror_users m
      ON m.server = atl_predictions.server AND m.account_id = u.a COLLATE "default"
    LEFT JOIN LATERAL (SELECT lower(split_part(u.b->>'email', '@', 2)) AS domain) d ON true
    LEFT JOIN LATERAL (SELECT * FROM (VALUES
      -- the user management API acts on managed accounts only ...
      (c.api = 'user management'
         AND m.claim_status IS DISTINCT FROM 'managed' AND m.account_id IS NOT NULL,
       1, 'forbidden.action', 'managedAccount',
       format('Atlassian would refuse it: the account is not managed by the organization (claim status %s)',
              coalesce(m.claim_status, 'unknown'))),
      -- ... and leaves an identity provider's accounts to it
      (c.changes IN ('lifecycle', 'email') AND m.management_source = 'synced',
       2, 'forbidden.action', 'externalDirectory.scim',
       'Atlassian would refuse it: the account is synced from an identity provider (SCIM), which manages its lifecycle and e-mail'),
      (c.changes = 'profile' AND m.management_source = 'synced'
         AND (u.b ? 'name' OR u.b ? 'extended_profile'),
       2, 'forbidden.fieldMutation', 'externalDirectory.scim',
       'Atlassian would refuse it: the account is synced from an identity provider (SCIM), which owns its name and profile fields'),
      (c.changes = 'email' AND d.domain <> ''
         AND NOT d.domain = ANY (coalesce(atl_predictions.verified_domains, '{}')),
       3, 'forbidden.unclaimedDomain', d.domain,
       format('Atlassian would refuse it: %s is not one of the organization''s verified domains', d.domain)),
      -- the account already as asked
      (u.action = 'disable' AND m.account_status = 'inactive',
       4, 'already', NULL, 'the account is already deactivated'),
      (u.action = 'enable' AND m.account_status = 'active',
       4, 'already', NULL, 'the account is already active'),
      (u.action = 'suspend' AND m.membership_status = 'suspended',
       4, 'already', NULL, 'the account''s access is already suspended'),
      (u.action = 'add_to_group' AND u.t = ANY (m.group_ids),
       4, 'already', NULL, 'the account is already a member of the group'),
      (u.action = 'set_email' AND lower(m.email) = lower(u.b->>'email'),
       4, 'already', NULL, 'the account already has that e-mail address')
    ) AS v(hit, rank, error_key, error_reason, detail)
     WHERE v.hit ORDER BY v.rank LIMIT 1) p ON true
   ORDER BY u.i
$$;
COMMENT ON FUNCTION atl_predictions(text[], text[], text[], jsonb[], name, text[]) IS
  'read: what Atlassian would answer each of a dry run''s requests, as the mirror and the verified domains tell';
