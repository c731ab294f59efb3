# Sourced by ./dev test: make sure the real servers the tests use are there.
# Uses running ones (CI: PostgreSQL on 127.0.0.1:5432, Redis on 6379), else starts throwaway ones
# from installed binaries, else installs them with apt-get when root, else fails with what to do.

SERVICES_DIR=""
STARTED_PG=""
STARTED_REDIS=""
STARTED_DOVECOT=""

_services_dir() {
  [ -n "$SERVICES_DIR" ] || SERVICES_DIR=$(mktemp -d /tmp/supportdesk-services.XXXXXX)
  chmod 755 "$SERVICES_DIR"
  echo "$SERVICES_DIR"
}

_can_apt() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; }

_apt_install() {
  say "Installing $* with apt-get"
  if [ -z "${_APT_UPDATED:-}" ]; then apt-get update -qq >/dev/null; _APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ensure_chromium() {
  local path="${CHROMIUM_PATH:-/usr/bin/chromium}"
  if [ ! -x "$path" ]; then
    if _can_apt; then _apt_install chromium; else
      die "Browser tests need Debian's chromium at $path: run 'sudo apt-get install chromium' (or set CHROMIUM_PATH)."
    fi
  fi
  [ -x "$path" ] || die "chromium is still missing at $path"
  export CHROMIUM_PATH="$path"
}

_pg_ok() { "$PY" - "$1" <<'PYEOF' >/dev/null 2>&1
import sys, psycopg
psycopg.connect(sys.argv[1], connect_timeout=3).close()
PYEOF
}

ensure_postgres() {
  if [ -n "${TEST_DATABASE_URL:-}" ]; then
    _pg_ok "$TEST_DATABASE_URL" || die "TEST_DATABASE_URL=$TEST_DATABASE_URL does not answer"
    return
  fi
  if _pg_ok "postgres://postgres@127.0.0.1:5432/postgres"; then
    export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:5432/supportdesk"
    return
  fi
  local bindir
  bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
    if _can_apt; then _apt_install postgresql; bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1); else
      die "Tests need PostgreSQL: none answers on 127.0.0.1:5432 and no server binaries are installed. Install PostgreSQL (apt-get install postgresql) or set TEST_DATABASE_URL."
    fi
  fi
  local dir port=55432 runas=()
  dir="$(_services_dir)/pg"
  mkdir -p "$dir"
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    chown postgres "$dir"; runas=(runuser -u postgres --)
  fi
  say "Starting a throwaway PostgreSQL from $bindir on 127.0.0.1:$port"
  "${runas[@]}" "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 >/dev/null ||
    die "initdb failed"
  "${runas[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
    -o "-h 127.0.0.1 -p $port -k $dir -F" start >/dev/null || die "PostgreSQL did not start: see $dir/log"
  STARTED_PG="$bindir/pg_ctl -D $dir/data"
  [ "$(id -u)" = 0 ] && STARTED_PG="runuser -u postgres -- $STARTED_PG"
  export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/supportdesk"
  _pg_ok "postgres://postgres@127.0.0.1:$port/postgres" || die "the throwaway PostgreSQL does not answer"
}

_redis_ok() { "$PY" - "$1" <<'PYEOF' >/dev/null 2>&1
import sys, redis
redis.Redis.from_url(sys.argv[1], socket_connect_timeout=3).ping()
PYEOF
}

ensure_redis() {
  if [ -n "${REDIS_URL:-}" ]; then
    _redis_ok "$REDIS_URL" || die "REDIS_URL=$REDIS_URL does not answer"; return
  fi
  if _redis_ok "redis://127.0.0.1:6379/0"; then export REDIS_URL="redis://127.0.0.1:6379/14"; return; fi
  if ! command -v redis-server >/dev/null 2>&1; then
    if _can_apt; then _apt_install redis-server; else
      die "Integration tests need Redis: none answers on 127.0.0.1:6379 and redis-server is not installed (apt-get install redis-server, or set REDIS_URL)."
    fi
  fi
  local port=56379 dir
  dir="$(_services_dir)"
  say "Starting a throwaway Redis on 127.0.0.1:$port"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --save "" --appendonly no \
    --dir "$dir" --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" >/dev/null ||
    die "redis-server did not start"
  STARTED_REDIS="$dir/redis.pid"
  export REDIS_URL="redis://127.0.0.1:$port/0"
  for _ in 1 2 3 4 5 6 7 8 9 10; do _redis_ok "$REDIS_URL" && return; sleep 0.3; done
  die "the throwaway Redis does not answer"
}

# A throwaway Dovecot (Debian's dovecot-imapd) for the IMAP intake tests: loopback only, plain
# login over an unencrypted local connection, one passwd-file user, a Maildir store in a temporary
# directory. Exports IMAP_TEST_HOST, IMAP_TEST_PORT, IMAP_TEST_USER and IMAP_TEST_PASSWORD.
ensure_dovecot() {
  if [ -n "${IMAP_TEST_PORT:-}" ]; then return; fi
  if ! command -v dovecot >/dev/null 2>&1 || [ ! -x /usr/lib/dovecot/imap ]; then
    if _can_apt; then _apt_install dovecot-imapd; else
      die "The IMAP intake tests need Dovecot: run 'sudo apt-get install dovecot-imapd' (or set IMAP_TEST_HOST, IMAP_TEST_PORT, IMAP_TEST_USER and IMAP_TEST_PASSWORD for a server of your own)."
    fi
  fi
  command -v dovecot >/dev/null 2>&1 || die "dovecot is still missing after installing dovecot-imapd"
  local dir port owner group
  _services_dir >/dev/null
  dir="$SERVICES_DIR/dovecot"
  port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
  owner=nobody; group=$(id -gn nobody 2>/dev/null || echo nogroup)
  mkdir -p "$dir/run" "$dir/state" "$dir/mail"
  chown "$owner:$group" "$dir/mail"
  printf 'intake:{PLAIN}intake-test-password\n' >"$dir/passwd"
  cat >"$dir/dovecot.conf" <<DOVECOT_CONF
base_dir = $dir/run
state_dir = $dir/state
log_path = $dir/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:$dir/mail/%u
first_valid_uid = 1
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $dir/passwd
}
userdb {
  driver = static
  args = uid=$owner gid=$group home=$dir/mail/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $port
  }
  inet_listener imaps {
    port = 0
  }
}
service stats {
  unix_listener stats-reader {
    mode = 0600
  }
  unix_listener stats-writer {
    mode = 0600
  }
}
DOVECOT_CONF
  say "Starting a throwaway Dovecot on 127.0.0.1:$port"
  dovecot -c "$dir/dovecot.conf" || die "Dovecot did not start: see $dir/dovecot.log"
  STARTED_DOVECOT="$dir/dovecot.conf"
  export IMAP_TEST_HOST=127.0.0.1 IMAP_TEST_PORT="$port" IMAP_TEST_USER=intake \
    IMAP_TEST_PASSWORD=intake-test-password
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    "$PY" -c "import socket,sys; socket.create_connection(('127.0.0.1', $port), 2).close()" 2>/dev/null && return
    sleep 0.3
  done
  die "the throwaway Dovecot does not answer on 127.0.0.1:$port: see $dir/dovecot.log"
}

stop_services() {
  if [ -n "$STARTED_DOVECOT" ]; then doveadm -c "$STARTED_DOVECOT" stop >/dev/null 2>&1 || true; fi
  if [ -n "$STARTED_PG" ]; then $STARTED_PG -m fast stop >/dev/null 2>&1 || true; fi
  if [ -n "$STARTED_REDIS" ] && [ -f "$STARTED_REDIS" ]; then kill "$(cat "$STARTED_REDIS")" 2>/dev/null || true; fi
  if [ -n "$SERVICES_DIR" ]; then rm -rf "$SERVICES_DIR"; fi
}
