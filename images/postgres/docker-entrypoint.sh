#!/usr/bin/env bash
# Our own entrypoint with the official postgres image's behaviour (see the Dockerfile's header).
set -Eeuo pipefail

log() { echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) [entrypoint] $*" >&2; }

# VAR_FILE=/path reads VAR from that file (Kubernetes/Docker secrets).
file_env() {
  local var=$1 def=${2:-} fvar="${1}_FILE"
  if [[ -n ${!var:-} && -n ${!fvar:-} ]]; then log "both $var and $fvar are set"; exit 1; fi
  local val=$def
  if [[ -n ${!var:-} ]]; then val=${!var}; elif [[ -n ${!fvar:-} ]]; then val=$(<"${!fvar}"); fi
  export "$var"="$val"
  unset "$fvar"
}

if [[ ${1:-} == -* ]]; then set -- postgres "$@"; fi

if [[ ${1:-} != postgres ]]; then exec "$@"; fi

: "${PGDATA:=/var/lib/postgresql/data}"
export PGDATA

# Started as root (plain docker run --user 0): fix ownership, then drop to postgres (999).
if [[ $(id -u) == 0 ]]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown postgres:postgres "$PGDATA" /var/run/postgresql || true
  chmod 700 "$PGDATA" || true
  exec setpriv --reuid=999 --regid=999 --init-groups "$0" "$@"
fi

mkdir -p "$PGDATA"
chmod 700 "$PGDATA" 2>/dev/null || true

file_env POSTGRES_PASSWORD
file_env POSTGRES_USER postgres
file_env POSTGRES_DB "$POSTGRES_USER"
file_env POSTGRES_INITDB_ARGS
: "${POSTGRES_HOST_AUTH_METHOD:=}"

if [[ ! -s $PGDATA/PG_VERSION ]]; then
  if [[ -z $POSTGRES_PASSWORD && $POSTGRES_HOST_AUTH_METHOD != trust ]]; then
    log "Database is uninitialized and superuser password is not specified."
    log "  Set POSTGRES_PASSWORD (or POSTGRES_PASSWORD_FILE), or POSTGRES_HOST_AUTH_METHOD=trust."
    exit 1
  fi
  if [[ -n $(ls -A "$PGDATA" 2>/dev/null) ]]; then
    log "PGDATA ($PGDATA) is not empty and holds no database; use a subdirectory of the volume (e.g. PGDATA=/var/lib/postgresql/data/pgdata)."
    exit 1
  fi
  log "initializing database in $PGDATA"
  pwfile=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  # shellcheck disable=SC2086
  initdb --username="$POSTGRES_USER" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 \
    $POSTGRES_INITDB_ARGS >&2
  rm -f "$pwfile"
  auth=${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}
  printf '\n# container: every host may connect, authenticated\nhost all all all %s\n' "$auth" >>"$PGDATA/pg_hba.conf"
  printf "\nlisten_addresses = '*'\n" >>"$PGDATA/postgresql.conf"

  # A temporary server on the Unix socket only, for the database and the init scripts.
  pg_ctl -D "$PGDATA" -w -o "-c listen_addresses='' -c unix_socket_directories=/var/run/postgresql" start >&2
  export PGHOST=/var/run/postgresql PGUSER=$POSTGRES_USER PGPASSWORD=$POSTGRES_PASSWORD
  psql=(psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname postgres)
  if [[ $POSTGRES_DB != postgres ]]; then
    exists=$("${psql[@]}" -tAc "SELECT 1 FROM pg_database WHERE datname = '${POSTGRES_DB//\'/\'\'}'")
    if [[ $exists != 1 ]]; then
      "${psql[@]}" --set db="$POSTGRES_DB" <<<'CREATE DATABASE :"db";' >&2
    fi
  fi
  psql+=(--dbname "$POSTGRES_DB")
  for f in /docker-entrypoint-initdb.d/*; do
    [[ -e $f ]] || continue
    case $f in
      *.sh)
        if [[ -x $f ]]; then
          log "running $f"; "$f"
        else
          log "sourcing $f"
          # shellcheck disable=SC1090
          . "$f"
        fi ;;
      *.sql) log "running $f"; "${psql[@]}" -f "$f" >&2 ;;
      *.sql.gz) log "running $f"; gunzip -c "$f" | "${psql[@]}" >&2 ;;
      *.sql.xz) log "running $f"; xz -dc "$f" | "${psql[@]}" >&2 ;;
      *) log "ignoring $f" ;;
    esac
  done
  pg_ctl -D "$PGDATA" -m fast -w stop >&2
  unset PGHOST PGUSER PGPASSWORD
  log "PostgreSQL init process complete; ready for start up."
else
  log "PostgreSQL database directory appears to contain a database; skipping initialization"
fi

exec "$@"
