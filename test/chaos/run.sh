#!/usr/bin/env bash
# The chaos test: a few thousand mutated answers of the fake (its chaos mode,
# test/fake/chaos.py) through atlorg's reads and actions; test/chaos/chaos.py
# says what must hold.  Exits non-zero on any violation.
#
# Within test/run.sh (FAKE_URL set) it uses that run's cluster and fake.
# On its own it installs what is missing, builds, installs, and starts a
# throwaway cluster and a fake org of 10,000 users, like the benchmarks:
#
#   bash test/chaos/run.sh
#
# CHAOS_ANSWERS (3000), CHAOS_SECONDS (90), CHAOS_SEED (7), CHAOS_SHOWN (15)
# and CHAOS_REPORT are passed on to chaos.py.
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ -z "${FAKE_URL:-}" ]; then
  . test/lib/deps.sh
  atlorg_install_deps
  . test/lib/cluster.sh
  make -s WERROR=1 >/dev/null
  atlorg_make_install
  trap atlorg_env_stop EXIT
  atlorg_env_start 10000
fi
/usr/bin/python3 test/chaos/chaos.py
