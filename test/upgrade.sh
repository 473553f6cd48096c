#!/usr/bin/env bash
# Released means frozen: atlorg 1.0's install script is kept as shipped,
# and an installation moves on with ALTER EXTENSION atlorg UPDATE.  Against
# the running test cluster and fake org (test/run.sh's environment):
#   1. a database installs 1.0, fills the mirror, the audit and the
#      protected accounts, and is updated to the current version: every row
#      is still there, and the current version's features work on it;
#   2. its catalog is the same as a fresh install's, as pg_dump sees it
#      (--binary-upgrade dumps an extension's objects one by one; the lines
#      that pin OIDs are left out).
# Prints "ok: ..." or "FAILED: ..." per check; exits non-zero on a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

fresh=atl_upgrade_fresh
upgraded=atl_upgrade_from_1_0
current=$(sed -n "s/^default_version = '\(.*\)'/\1/p" atlorg.control)
status=0
sql() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$@"; }

for db in $fresh $upgraded; do
  PGOPTIONS="-c client_min_messages=warning" sql postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
done
sql $fresh -c "CREATE EXTENSION atlorg"

# 1.0, filled: a server, a sync (users, groups, per-site access), an
# action (its audit row) and a protected account
sql $upgraded >/dev/null <<SQL
CREATE EXTENSION atlorg VERSION '1.0';
CREATE SERVER acme FOREIGN DATA WRAPPER atlorg OPTIONS (org_id 'acme-org', api_base '$FAKE_URL');
CREATE USER MAPPING FOR CURRENT_USER SERVER acme OPTIONS (api_key '$FAKE_KEY');
SELECT count(*) FROM atlorg.atl_sync();
SELECT count(*) FROM atlorg.atl_disable('712020:978521a6-2367-4092-a7f6-7cc1b9043bdd', dry_run => true);
INSERT INTO atlorg.atl_protected_accounts VALUES ('5b10ac8d82e05b22cc7d4ef5', 'break-glass admin');
SQL

counts="SELECT (SELECT count(*) FROM atlorg.atl_mirror_users), (SELECT count(*) FROM atlorg.atl_mirror_access),
                (SELECT count(*) FROM atlorg.atl_mirror_group_members), (SELECT count(*) FROM atlorg.atl_audit),
                (SELECT count(*) FROM atlorg.atl_protected_accounts), (SELECT count(*) FROM atlorg.atl_mirror_syncs),
                (SELECT md5(string_agg((a.id, a.action, a.account_id, a.outcome, a.http_status, a.error_key,
                                        a.error_reason, a.error_detail)::text, ',' ORDER BY a.id))
                   FROM atlorg.atl_audit a)"
before=$(sql $upgraded -c "$counts")
sql $upgraded -c "ALTER EXTENSION atlorg UPDATE"
after=$(sql $upgraded -c "$counts")
version=$(sql $upgraded -c "SELECT extversion FROM pg_extension WHERE extname = 'atlorg'")
if [ "$version" = "$current" ] && [ "$before" = "$after" ] && [ "$(echo "$before" | cut -d'|' -f1)" -gt 0 ]; then
  echo "ok: 1.0 -> $version kept every row, the audit's as they were (users|access|memberships|audit|protected|syncs|audit md5: $after)"
else
  echo "FAILED: 1.0 -> $version: rows before $before, after $after"; status=1
fi

# the current version's features on the upgraded database
if works=$(sql $upgraded -c "SELECT users_changed FROM atlorg.atl_sync(access => false)" \
             -c "SELECT count(*) > 0 FROM atlorg.atl_seats" \
             -c "SELECT outcome FROM atlorg.atl_disable('712020:978521a6-2367-4092-a7f6-7cc1b9043bdd', dry_run => true)" \
             -c "SELECT state FROM atlorg.atl_run_wait(atlorg.atl_last_run(), '30 s')" \
             -c "SELECT count(*) FILTER (WHERE run_id IS NULL) || '/' || count(DISTINCT run_id) FROM atlorg.atl_audit" \
             -c "SELECT string_agg(state || ':' || requests, ',' ORDER BY run_id) FROM atlorg.atl_runs" \
             -c "BEGIN" -c "SET LOCAL atlorg.background = on" \
             -c "SELECT outcome FROM atlorg.atl_disable(ARRAY['712020:978521a6-2367-4092-a7f6-7cc1b9043bdd'], dry_run => true)" \
             -c "COMMIT" -c "SELECT state || ':' || dry_run FROM atlorg.atl_run_wait(atlorg.atl_last_run(), '30 s')") &&
   [ "$(echo "$works" | tr '\n' ' ')" = "0 t dry_run finished 0/2 finished:1,finished:1 queued finished:1 " ]; then
  echo "ok: the upgraded database syncs, reads its seats and acts; 1.0's audit rows belong to runs, and a background run goes"
else
  echo "FAILED: the upgraded database: ${works:-an error}"; status=1
fi

# the upgrade ships the same words as a fresh install
shipped="SELECT md5(string_agg(key || '|' || meaning || '|' || what_to_do, ',' ORDER BY key)) FROM atlorg.atl_error_reasons WHERE shipped"
if [ "$(sql $upgraded -c "$shipped")" = "$(sql $fresh -c "$shipped")" ]; then
  echo "ok: the upgrade ships a fresh install's atl_error_reasons"
else
  echo "FAILED: the upgraded atl_error_reasons differs from a fresh install's"; status=1
fi

# a manager's own words for an error key survive pg_dump and a restore
# (CREATE EXTENSION writes the shipped ones: the dump holds only theirs)
restored=atl_upgrade_restored
sql $upgraded -c "INSERT INTO atlorg.atl_error_reasons (key, meaning, what_to_do) VALUES ('managedAccount', 'ours', 'ticket')"
PGOPTIONS="-c client_min_messages=warning" sql postgres -c "DROP DATABASE IF EXISTS $restored WITH (FORCE)" -c "CREATE DATABASE $restored"
pg_dump -d $upgraded >"$ATLORG_TMP/words.sql"
if PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 -d $restored -f "$ATLORG_TMP/words.sql" >/dev/null &&
   words=$(sql $restored -c "SELECT string_agg(shipped || ':' || n, ',' ORDER BY shipped) FROM (SELECT shipped, count(*) AS n FROM atlorg.atl_error_reasons GROUP BY 1) c" \
                         -c "SELECT meaning FROM atlorg.atl_error_words('forbidden.action', 'managedAccount', 403)") &&
   [ "$(echo "$words" | tr '\n' ' ')" = "false:1,true:$(sql $fresh -c 'SELECT count(*) FROM atlorg.atl_error_reasons') ours " ] &&
   [ "$(grep -c 'managedAccount' "$ATLORG_TMP/words.sql")" = 1 ]; then
  echo "ok: a manager's own words are dumped and restored, atlorg's are not dumped but are there"
else
  echo "FAILED: atl_error_reasons through pg_dump: ${words:-an error}"; status=1
fi
sql $upgraded -c "DELETE FROM atlorg.atl_error_reasons WHERE NOT shipped"
sql postgres -c "DROP DATABASE $restored WITH (FORCE)"

# the same objects, grants, comments and dependencies as a fresh install
# (left out: OIDs, pg_dump's random \restrict key and the sequences'
# positions; the server and its mapping go first, the key with them)
sql $upgraded -c "DROP SERVER acme CASCADE"
catalog() {
  pg_dump --schema-only --binary-upgrade -d "$1" |
    grep -v -E '^(--|SET |SELECT pg_catalog\.(set_config|binary_upgrade_)|\\(un)?restrict )' |
    grep -v -E "^WHERE oid = '[0-9]+';$|^SELECT pg_catalog\.setval\(" | sed '/^$/d'
}
catalog $fresh >"$ATLORG_TMP/catalog.fresh"
catalog $upgraded >"$ATLORG_TMP/catalog.upgraded"
if diff -u "$ATLORG_TMP/catalog.fresh" "$ATLORG_TMP/catalog.upgraded" >"$ATLORG_TMP/catalog.diff"; then
  echo "ok: an upgraded install has a fresh install's catalog ($(wc -l <"$ATLORG_TMP/catalog.fresh") lines of pg_dump)"
else
  echo "FAILED: the upgraded catalog differs from a fresh install's:"; head -60 "$ATLORG_TMP/catalog.diff"; status=1
fi
exit $status
