#!/usr/bin/env bash
# Installs what the tests need, only when missing: npm packages (npm ci), Debian's
# `prometheus` (promtool + server) and a running Redis on REDIS_URL (default
# 127.0.0.1:6379; `redis-server` from Debian when none answers). Idempotent.
# `--bench` also installs what `make bench` drives the service with: `wrk` (and `taskset`).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[setup] %s\n' "$*"; }

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "npm ci"
  npm ci --no-audit --no-fund
fi

apt_updated=0
apt_install() {
  if [ "$(id -u)" != 0 ]; then
    echo "[setup] missing Debian package(s) $*; run as root: apt-get install -y --no-install-recommends $*" >&2
    exit 1
  fi
  if [ "$apt_updated" = 0 ]; then apt-get update -qq; apt_updated=1; fi
  log "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

command -v promtool >/dev/null && command -v prometheus >/dev/null || apt_install prometheus
if [ "${1:-}" = --bench ]; then
  command -v wrk >/dev/null || apt_install wrk
  command -v taskset >/dev/null || apt_install util-linux
fi

redis_url="${REDIS_URL:-redis://127.0.0.1:6379}"
hostport="${redis_url#redis://}"; hostport="${hostport##*@}"; hostport="${hostport%%/*}"
rhost="${hostport%%:*}"; rport="${hostport##*:}"; [ "$rport" = "$hostport" ] && rport=6379
if ! (command -v redis-cli >/dev/null && redis-cli -h "$rhost" -p "$rport" ping >/dev/null 2>&1); then
  command -v redis-server >/dev/null || apt_install redis-server
  if [ "$rhost" = 127.0.0.1 ] || [ "$rhost" = localhost ]; then
    log "starting redis-server on $rhost:$rport"
    mkdir -p /tmp/metasheet-redis
    redis-server --daemonize yes --bind 127.0.0.1 --port "$rport" --save "" --appendonly no \
      --dir /tmp/metasheet-redis --logfile /tmp/metasheet-redis/redis.log
    for _ in $(seq 50); do redis-cli -h "$rhost" -p "$rport" ping >/dev/null 2>&1 && break; sleep 0.1; done
  fi
  redis-cli -h "$rhost" -p "$rport" ping >/dev/null || { echo "[setup] Redis at $redis_url does not answer" >&2; exit 1; }
fi
log "ready: node $(node --version), $(promtool --version 2>&1 | head -1), redis $(redis-cli -h "$rhost" -p "$rport" info server | grep redis_version | tr -d '\r')"
