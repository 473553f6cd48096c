--
-- atl_sync() reads the directory's users in disjoint slices at once (by
-- status, claimStatus and mfaEnabled), each proved against the API's
-- counts, and gives the mirror one cursor chain gives.
--
\! test/fakectl.py reset

-- One chain (atlorg.sync_slices off) and the slices read the same users.
SET atlorg.sync_slices = off;
CREATE TEMP TABLE chain AS SELECT * FROM atl_users_sliced();
\! test/fakectl.py sent users/count
RESET atlorg.sync_slices;
CREATE TEMP TABLE sliced AS SELECT * FROM atl_users_sliced();
\! test/fakectl.py sent users/count
SELECT count(*) AS users, count(DISTINCT account_id) AS distinct_users FROM sliced;
SELECT (SELECT count(*) FROM (TABLE sliced EXCEPT ALL TABLE chain) x) AS only_sliced,
       (SELECT count(*) FROM (TABLE chain EXCEPT ALL TABLE sliced) x) AS only_chain;

-- A sync through one chain, then a sliced one: nothing to change, and the
-- mirror holds every row the live read has.
SET atlorg.sync_slices = off;
SELECT users_added + users_changed + users_gone >= 0 AS synced FROM atl_sync(access => false);
RESET atlorg.sync_slices;
SELECT users_added, users_changed, users_gone, memberships_added, memberships_gone
  FROM atl_sync(access => false);
SELECT count(*) AS mirror_not_live
  FROM (SELECT account_id, name, nickname, email, email_verified, status, account_status,
               membership_status, claim_status, management_source, added_to_org, mfa_enabled,
               job_title, department, organization, location, time_zone, platform_roles,
               groups, group_ids, products, last_active, product_last_active, product_access
          FROM atl_mirror_users WHERE server = 'acme'
        EXCEPT ALL TABLE chain) x;

-- A user moving between two slices while they are read: the two slices'
-- counts disagree with what was read (here the fake says so once), so
-- everything is counted again and those slices are read again.
\! test/fakectl.py fault '{"path": "users/count", "query": {"status": "active", "claimStatus": "managed", "mfaEnabled": "true"}, "kind": "status", "status": 200, "body": {"count": 4228}, "count": 1}' '{"path": "users/count", "query": {"status": "active", "claimStatus": "managed", "mfaEnabled": "false"}, "kind": "status", "status": 200, "body": {"count": 1948}, "count": 1}'
SELECT (SELECT count(*) FROM (TABLE chain EXCEPT ALL SELECT * FROM atl_users_sliced()) x) AS missing;
\! test/fakectl.py clear-faults

-- If they keep disagreeing, the directory is read through one chain after
-- all, and a NOTICE says so: the result is never silently incomplete.
\! test/fakectl.py fault '{"path": "users/count", "query": {"status": "active", "claimStatus": "managed", "mfaEnabled": "true"}, "kind": "status", "status": 200, "body": {"count": 4228}}' '{"path": "users/count", "query": {"status": "active", "claimStatus": "managed", "mfaEnabled": "false"}, "kind": "status", "status": 200, "body": {"count": 1948}}'
SELECT (SELECT count(*) FROM (TABLE chain EXCEPT ALL SELECT * FROM atl_users_sliced()) x) AS missing;
\! test/fakectl.py clear-faults

-- A filter whose values' counts do not add up to the directory's (a user
-- the slices would miss) is not used; when no filter adds up, one chain.
\! test/fakectl.py fault '{"path": "users/count", "query": {"status": "for_deletion"}, "kind": "status", "status": 200, "body": {"count": 0}}' '{"path": "users/count", "query": {"claimStatus": "unmanaged"}, "kind": "status", "status": 200, "body": {"count": 0}}'
SELECT (SELECT count(*) FROM (TABLE chain EXCEPT ALL SELECT * FROM atl_users_sliced()) x) AS missing;
\! test/fakectl.py fault '{"path": "users/count", "query": {"mfaEnabled": "false"}, "kind": "status", "status": 200, "body": {"count": "many"}}'
SELECT (SELECT count(*) FROM (TABLE chain EXCEPT ALL SELECT * FROM atl_users_sliced()) x) AS missing;
\! test/fakectl.py clear-faults

-- A count the API refuses is an error, as for any read, and the mirror
-- stays as it was.
\! test/fakectl.py fault '{"path": "users/count", "kind": "status", "status": 403}'
SELECT users_added FROM atl_sync(access => false);
\! test/fakectl.py clear-faults
-- Of two counts that are not JSON, the error is the first in the round's
-- order (the whole directory's count), though its answer comes back last.
\! test/fakectl.py fault '{"path": "users/count", "query": {}, "kind": "status", "status": 200, "raw": ["{\"count\": \"a\\u0000b\"}"], "ms": 400}' '{"path": "users/count", "query": {"mfaEnabled": "false"}, "kind": "status", "status": 200, "raw": ["{\"count\": -1e1000000}"]}'
SELECT users_added FROM atl_sync(access => false);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
\! test/fakectl.py clear-faults
SELECT count(*) AS mirror FROM atl_mirror_users WHERE server = 'acme';
