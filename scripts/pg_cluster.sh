#!/bin/sh
# A throwaway PostgreSQL cluster for the tests: initdb into a directory, serve on a free
# loopback port, password authentication, durable settings (fsync, full_page_writes and
# synchronous_commit on: callproof refuses less). Uses Debian's postgresql package
# (scripts/deps.sh test installs it). PostgreSQL refuses to run as root, so when started as
# root the cluster runs as the unprivileged `postgres` user (or $PG_CLUSTER_USER), which
# then owns DIR.
#
#   scripts/pg_cluster.sh start DIR    create and start a cluster in DIR (empty or missing);
#                                      prints its URL (postgres://callproof:PASS@127.0.0.1:PORT/postgres)
#   scripts/pg_cluster.sh stop DIR     stop the server (fast shutdown), keep the data
#   scripts/pg_cluster.sh resume DIR   start a stopped server again, same port and data
#   scripts/pg_cluster.sh destroy DIR  stop the server if it runs and remove DIR
#   scripts/pg_cluster.sh url DIR      print the URL again
#
# The URL is also in DIR/url. Exit status is non-zero on any failure, with the server log's
# tail on stderr.
set -eu

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { sed -n '2,16p' "$0" >&2; exit 2; }

bin=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
[ -x "$bin/initdb" ] || { echo "pg_cluster: no PostgreSQL server binaries (apt-get install postgresql)" >&2; exit 1; }

as_owner() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u "${PG_CLUSTER_USER:-postgres}" -- "$@"
    else
        "$@"
    fi
}

pg_ctl_start() {
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null
}

case "$cmd" in
start)
    mkdir -p "$dir"
    [ -z "$(ls -A "$dir")" ] || { echo "pg_cluster: $dir is not empty" >&2; exit 1; }
    [ "$(id -u)" != 0 ] || chown "${PG_CLUSTER_USER:-postgres}" "$dir"
    chmod 700 "$dir"
    pass=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
    printf '%s\n' "$pass" >"$dir/pwfile"
    [ "$(id -u)" != 0 ] || chown "${PG_CLUSTER_USER:-postgres}" "$dir/pwfile"
    as_owner "$bin/initdb" -D "$dir/data" -U callproof --pwfile="$dir/pwfile" -E UTF8 \
        --locale=C --auth-host=scram-sha-256 --auth-local=trust >"$dir/initdb.log" 2>&1 ||
        { cat "$dir/initdb.log" >&2; exit 1; }
    rm -f "$dir/pwfile"
    # A free port: a random one not listening now; retried if another process takes it first.
    tries=0
    while :; do
        port=$(( $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 30000 + 20000 ))
        if ! ss -ltnH 2>/dev/null | awk '{print $4}' | grep -q ":$port\$"; then
            cat >>"$dir/data/postgresql.conf" <<EOF
# scripts/pg_cluster.sh
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 300
shared_buffers = 64MB
fsync = on
full_page_writes = on
synchronous_commit = on
log_min_messages = warning
log_line_prefix = '%m [%p] %d '
EOF
            pg_ctl_start && break
            sed -i '/^# scripts\/pg_cluster.sh$/,$d' "$dir/data/postgresql.conf"
        fi
        tries=$((tries + 1))
        [ "$tries" -lt 5 ] || { echo "pg_cluster: could not start; server log:" >&2; tail -n 20 "$dir/server.log" >&2; exit 1; }
    done
    url="postgres://callproof:$pass@127.0.0.1:$port/postgres"
    printf '%s\n' "$url" >"$dir/url"
    chmod 600 "$dir/url"
    printf '%s\n' "$url"
    ;;
stop)
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null
    ;;
resume)
    pg_ctl_start || { tail -n 20 "$dir/server.log" >&2; exit 1; }
    ;;
destroy)
    if [ -f "$dir/data/postmaster.pid" ]; then
        as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w -t 60 stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
url)
    cat "$dir/url"
    ;;
*)
    sed -n '2,16p' "$0" >&2
    exit 2
    ;;
esac
