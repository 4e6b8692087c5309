#!/bin/sh
# A throw-away PostgreSQL cluster in a folder, for the back office's tests and for trying the back office out.
#
#   scripts/pg-cluster.sh DIR [PORT]     make the cluster in DIR (once) and start it; prints its DSN
#   scripts/pg-cluster.sh stop DIR [MODE] stop it (MODE: fast, the default, or immediate: a crash, for harnesses)
#
# Debian's `postgresql` package (apt-get install postgresql) provides the programs; PG_BIN picks another folder.
# It listens on 127.0.0.1 only (socket in DIR too), PORT defaulting to 55432; the superuser is `postgres` with
# trust authentication: fine for a cluster on this machine that you throw away, not for a shop's data.
# initdb refuses to run as root: as root, the cluster is made and run as Debian's `postgres` user, DIR owned by it.
# PG_OPTIONS adds server settings (e.g. "-c fsync=off" for fast tests; the default keeps fsync on).
set -eu

usage() { echo "usage: $0 DIR [PORT] | $0 stop DIR [fast|immediate]" >&2; exit 2; }

pg_bin() {
  if [ -n "${PG_BIN:-}" ]; then echo "$PG_BIN"; return; fi
  found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$found" ] && command -v pg_ctl >/dev/null 2>&1; then found=$(dirname "$(command -v pg_ctl)"); fi
  if [ -z "$found" ] || [ ! -x "$found/initdb" ]; then
    echo "pg-cluster: PostgreSQL's programs are not installed (Debian: apt-get install postgresql; or set PG_BIN)" >&2
    exit 1
  fi
  echo "$found"
}

# as_owner CMD...: runs CMD as the cluster's owner (postgres when we are root, else ourselves)
as_owner() {
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || { echo "pg-cluster: running as root needs the postgres user (Debian's postgresql package makes it)" >&2; exit 1; }
    if command -v runuser >/dev/null 2>&1; then runuser -u postgres -- "$@"; else su postgres -s /bin/sh -c "$(printf "'%s' " "$@")"; fi
  else
    "$@"
  fi
}

[ $# -ge 1 ] || usage
if [ "$1" = stop ]; then
  [ $# -ge 2 ] || usage
  dir=$(cd "$2" && pwd)
  mode=${3:-fast}
  bin=$(pg_bin)
  if [ -f "$dir/data/postmaster.pid" ]; then as_owner "$bin/pg_ctl" -D "$dir/data" -m "$mode" -w stop >/dev/null; fi
  exit 0
fi

mkdir -p "$1"
dir=$(cd "$1" && pwd)
port=${2:-$(cat "$dir/port" 2>/dev/null || echo 55432)}
bin=$(pg_bin)
if [ "$(id -u)" = 0 ]; then
  chown postgres "$dir"
  chmod 0700 "$dir"
  as_owner test -w "$dir" || { echo "pg-cluster: the postgres user cannot reach $dir (a parent folder is closed to it): pick a folder under /tmp" >&2; exit 1; }
fi
if [ ! -f "$dir/data/PG_VERSION" ]; then
  as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
fi
echo "$port" | as_owner tee "$dir/port" >/dev/null
# shellcheck disable=SC2086
as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories='$dir' ${PG_OPTIONS:-}" start >/dev/null \
  || { tail -n 20 "$dir/server.log" >&2; exit 1; }
echo "postgresql://postgres@127.0.0.1:$port/postgres"
