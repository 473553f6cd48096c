# Installs what atlorg needs to build and test, on Debian 12, as root.
# Sourced by test/run.sh and test/demo.sh; does nothing when all is there.
ATLORG_PACKAGES="build-essential postgresql-15 postgresql-server-dev-15 postgresql-15-cron
  libcurl4-openssl-dev libcsv-dev python3 python3-jsonschema python3-pytest python3-psycopg2 bc
  clang libclang-rt-14-dev openssl nginx-light iproute2"

atlorg_install_deps() {
  local missing=""
  for pkg in $ATLORG_PACKAGES; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
      || missing="$missing $pkg"
  done
  [ -z "$missing" ] && return 0
  if [ "$(id -u)" != 0 ]; then
    echo "atlorg: missing packages:$missing (run as root, or install them)" >&2
    return 1
  fi
  echo "atlorg: installing$missing" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends $missing >&2
}
