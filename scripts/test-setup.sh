#!/usr/bin/env bash
# `npm run test:setup`: what `npm test` needs from the machine besides node_modules, on Debian or
# Ubuntu. Idempotent: installs only what is missing, starts only the servers that are down.
#
#   - build tools for the native modules (g++, make, python3)
#   - Chromium (/usr/bin/chromium) for the browser tests (HTML report, /docs, dashboard)
#   - promtool (package prometheus) for the Prometheus rule and /metrics checks
#   - PostgreSQL on 127.0.0.1:5432 with a database `test` (trust auth for the local user
#     postgres), Redis on 6379 and NATS with JetStream on 4222, the servers the contract suites
#     run against; installed from Debian's packages if absent, started if down
#
# Installing needs root (apt-get); on a machine where everything is present and running it
# changes nothing. .ci/run calls it, as the README says.
set -euo pipefail

log() { echo "test:setup: $*"; }
up() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

need=()
command -v g++ >/dev/null 2>&1 && command -v make >/dev/null 2>&1 || need+=(build-essential)
command -v python3 >/dev/null 2>&1 || need+=(python3)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
command -v pg_ctlcluster >/dev/null 2>&1 || up 5432 || need+=(postgresql)
command -v redis-server >/dev/null 2>&1 || up 6379 || need+=(redis-server)
command -v nats-server >/dev/null 2>&1 || up 4222 || need+=(nats-server)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "test:setup: missing ${need[*]}; run as root, or: sudo apt-get update && sudo apt-get install -y --no-install-recommends ${need[*]}" >&2
    exit 1
  fi
  log "installing ${need[*]}"
  apt-get update
  # the Debian prometheus package would start its own server as a service: only promtool is used
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}"
fi

# Servers that are down are started with the machine's own commands (no systemd needed)
if ! up 5432; then
  log "starting PostgreSQL"
  cluster=$(ls /etc/postgresql | sort -V | tail -1)
  pg_ctlcluster --skip-systemctl-redirect "$cluster" main start || true
fi
if ! up 6379; then
  log "starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
fi
if ! up 4222; then
  log "starting NATS with JetStream"
  mkdir -p /var/lib/nats-server /var/log
  start-stop-daemon --start --oknodo --background --exec "$(command -v nats-server)" -- -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log || true
fi
for port in 5432 6379 4222; do
  for _ in $(seq 1 30); do up "$port" && break; sleep 1; done
  up "$port" || { echo "test:setup: nothing listens on 127.0.0.1:$port (see the log of the server that should)" >&2; exit 1; }
done

# The tests connect as postgres@127.0.0.1/test without a password (test/helpers/real-services.ts)
if ! psql -h 127.0.0.1 -U postgres -d test -c 'select 1' >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v runuser >/dev/null 2>&1; then
    runuser -u postgres -- createdb test 2>/dev/null || true
  fi
  createdb -h 127.0.0.1 -U postgres test 2>/dev/null || true
  psql -h 127.0.0.1 -U postgres -d test -c 'select 1' >/dev/null 2>&1 || {
    echo "test:setup: cannot connect as postgres to 127.0.0.1:5432/test: allow local trust auth for host 127.0.0.1 in pg_hba.conf, or set INTENTOPS_TEST_PG_URL" >&2
    exit 1
  }
fi
version() { "$@" 2>&1 | grep -oE '[0-9]+(\.[0-9]+){2,}' | head -1; }
log "ready: chromium $(version /usr/bin/chromium --version), promtool $(version promtool --version), PostgreSQL, Redis and NATS listening"
