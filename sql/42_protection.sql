-- Why an account must not be acted on, or null: the allowlist, an org
-- admin as the mirror knows them, or the acting admin's own account (known
-- when the server has a site e-mail: the mirror's account with it).  SECURITY DEFINER: any caller of an
-- action may be told, without being able to read (or change) the lists.
CREATE FUNCTION atl_protection(account_id text, server name, acting_email text DEFAULT NULL)
RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path FROM CURRENT
AS $$
  SELECT 'protected: ' || p.reason
    FROM atl_protected_accounts p WHERE p.account_id = atl_protection.account_id
  UNION ALL
  SELECT 'protected: an organization admin'
    FROM atl_mirror_users m
   WHERE m.account_id = atl_protection.account_id AND m.server = atl_protection.server
     AND 'atlassian/org-admin' = ANY (m.platform_roles)
  UNION ALL
  SELECT 'protected: the acting admin''s own account'
    FROM atl_mirror_users m
   WHERE m.account_id = atl_protection.account_id AND m.server = atl_protection.server
     AND lower(m.email) = lower(atl_protection.acting_email)
  LIMIT 1
$$;
