-- Why accounts must not be acted on, or null: the allowlist, an org admin
-- as the mirror knows them, or the acting admin's own account (known when
-- the server has a site e-mail: the mirror's account with it).  One row per
-- element of account_ids, in order, in one query (a bulk action asks once).
-- Every action asks it as its caller: readers may read both lists.
CREATE FUNCTION atl_protections(account_ids text[], server name, acting_email text DEFAULT NULL)
RETURNS TABLE (ord bigint, reason text)
LANGUAGE sql STABLE
BEGIN ATOMIC
  SELECT u.i,
         CASE WHEN p.account_id IS NOT NULL THEN 'protected: ' || p.reason
              WHEN 'atlassian/org-admin' = ANY (m.platform_roles)
                THEN 'protected: an organization admin'
              WHEN lower(m.email) = lower(atl_protections.acting_email)
                THEN 'protected: the acting admin''s own account'
         END
    FROM unnest(atl_protections.account_ids) WITH ORDINALITY AS u(a, i)
    LEFT JOIN atl_protected_accounts p ON p.account_id = u.a
    LEFT JOIN atl_mirror_users m ON m.server = atl_protections.server AND m.account_id = u.a
   ORDER BY u.i;
END;
COMMENT ON FUNCTION atl_protections(text[], name, text) IS
  'read: why each of the accounts would be skipped by an action, or null';

-- The same for one account.
CREATE FUNCTION atl_protection(account_id text, server name, acting_email text DEFAULT NULL)
RETURNS text
LANGUAGE sql STABLE
BEGIN ATOMIC
  SELECT p.reason
    FROM atl_protections(ARRAY[atl_protection.account_id], atl_protection.server,
                         atl_protection.acting_email) AS p;
END;
COMMENT ON FUNCTION atl_protection(text, name, text) IS
  'read: why the account would be skipped by an action, or null';
