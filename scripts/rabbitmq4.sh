#!/usr/bin/env bash
# A RabbitMQ 4.0 test node beside the usual broker: Debian 13 (trixie)'s rabbitmq-server in a chroot,
# listening on 127.0.0.1 only, on its own ports and its own epmd, so that it never touches a broker on the
# default ports (5672 / 15672 / 25672, epmd 4369).
#
#   bash scripts/rabbitmq4.sh check              can this machine build it? (exit 0 yes, 3 no + the reason)
#   bash scripts/rabbitmq4.sh build              build the chroot, or restore it from the cached tarball
#   bash scripts/rabbitmq4.sh up [--deny-deprecated]
#                                                start a fresh node (empty data); --deny-deprecated refuses
#                                                transient non-exclusive queues and global QoS (what later
#                                                4.x releases do by default)
#   bash scripts/rabbitmq4.sh down               stop the node (by its pid) and its epmd
#   bash scripts/rabbitmq4.sh status             version, mode and ports of the running node
#   bash scripts/rabbitmq4.sh env                the RABBITMQ_* variables that point the tests at it
#
# Needs root (debootstrap, chroot, mount) and a reachable Debian mirror (the one apt already uses).
# The chroot and its tarball live in the user's cache ($RMQWB_CACHE, default ~/.cache/rabbitmq-workbench),
# never in the repository, and are keyed on this script's hash: editing the script rebuilds them.
set -euo pipefail

AMQP_PORT=5692
MGMT_PORT=15692
DIST_PORT=25692
EPMD_PORT=4371
NODE=rabbit4@localhost
# uid/gid of the chroot's rabbitmq user: one no host user has, so that nothing matching users by name on the
# host can mistake the node for another one (or the other one for this one).
NODE_UID=4371

SCRIPT=$(readlink -f "${BASH_SOURCE[0]}")
KEY=$(sha256sum "$SCRIPT" | cut -c1-12)
CACHE=${RMQWB_CACHE:-$HOME/.cache/rabbitmq-workbench}
ROOT=$CACHE/rabbitmq4-$KEY
TARBALL=$CACHE/rabbitmq4-$KEY.tar.zst
PIDFILE=$ROOT/var/lib/rabbitmq/mnesia/$NODE.pid
MODEFILE=$ROOT/var/lib/rabbitmq/workbench-mode

log() { echo "[rabbitmq4] $*" >&2; }
die() { log "$*"; exit 1; }

mirror() {
  if [ -n "${DEBIAN_MIRROR:-}" ]; then echo "$DEBIAN_MIRROR"; return; fi
  local m=''
  [ -f /etc/apt/sources.list.d/debian.sources ] &&
    m=$(awk '/^URIs:/ && $2 !~ /security/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
  [ -z "$m" ] && [ -f /etc/apt/sources.list ] &&
    m=$(awk '/^deb / && $0 !~ /security/ {print ($2 ~ /^\[/ ? $3 : $2); exit}' /etc/apt/sources.list)
  echo "${m:-http://deb.debian.org/debian}"
}

# Prints why the chroot cannot be built here, or nothing.
why_not() {
  [ "$(id -u)" = 0 ] || { echo "not running as root (debootstrap, chroot and mount need root)"; return; }
  if [ -f "$TARBALL" ] || [ -f "$ROOT/.built" ]; then return; fi
  command -v apt-get >/dev/null || { echo "no apt-get (a Debian-based host is needed to get debootstrap)"; return; }
  local m; m=$(mirror)
  curl -fsS -o /dev/null --max-time 15 "$m/dists/trixie/Release" 2>/dev/null ||
    { echo "the Debian mirror $m does not answer for trixie"; return; }
}

# The node's commands run in the chroot as its own user, with a clean environment: no RABBITMQ_* or ERL_*
# variable of the host leaks in.
r4() {
  chroot --userspec=rabbitmq:rabbitmq "$ROOT" /usr/bin/env -i HOME=/var/lib/rabbitmq \
    PATH=/usr/lib/rabbitmq/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
    ERL_EPMD_PORT=$EPMD_PORT ERL_EPMD_ADDRESS=127.0.0.1 "$@"
}

mgmt_up() { curl -fsS -o /dev/null --max-time 5 -u guest:guest "http://127.0.0.1:$MGMT_PORT/api/overview" 2>/dev/null; }
node_pid() { [ -f "$PIDFILE" ] && cat "$PIDFILE" 2>/dev/null || true; }
running() { local p; p=$(node_pid); [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }
# The pid of the epmd listening on this node's epmd port (never the host's on 4369).
epmd_pid() { ss -Hltnp "sport = :$EPMD_PORT" 2>/dev/null | grep -o 'epmd",pid=[0-9]*' | head -1 | cut -d= -f2; }
port_busy() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }

cmd_check() {
  local why; why=$(why_not)
  if [ -n "$why" ]; then echo "$why"; exit 3; fi
  echo "ok"
}

write_config() {
  cat > "$ROOT/etc/rabbitmq/rabbitmq-env.conf" <<CONF
NODENAME=$NODE
NODE_IP_ADDRESS=127.0.0.1
NODE_PORT=$AMQP_PORT
DIST_PORT=$DIST_PORT
export ERL_EPMD_PORT=$EPMD_PORT
export ERL_EPMD_ADDRESS=127.0.0.1
SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
CONF
  # No rabbitmq_prometheus: its default port would be 15692, the management port used here.
  cat > "$ROOT/etc/rabbitmq/rabbitmq.conf" <<CONF
listeners.tcp.1 = 127.0.0.1:$AMQP_PORT
management.tcp.ip = 127.0.0.1
management.tcp.port = $MGMT_PORT
log.file.level = info
log.console = false
CONF
  mkdir -p "$ROOT/etc/rabbitmq/conf.d"
  echo '[rabbitmq_management,rabbitmq_shovel,rabbitmq_shovel_management].' > "$ROOT/etc/rabbitmq/enabled_plugins"
}

cmd_build() {
  if [ -f "$ROOT/.built" ]; then log "chroot ready: $ROOT"; return; fi
  local why; why=$(why_not)
  [ -z "$why" ] || { log "cannot build: $why"; exit 3; }
  mkdir -p "$CACHE"
  # A half-built chroot (an interrupted run) is started over; --one-file-system keeps rm out of a mounted /proc.
  if [ -d "$ROOT" ]; then
    mountpoint -q "$ROOT/proc" && umount "$ROOT/proc"
    rm -rf --one-file-system "$ROOT"
  fi
  local started=$SECONDS
  if [ -f "$TARBALL" ]; then
    mkdir -p "$ROOT"
    tar -C "$ROOT" --numeric-owner -I zstd -xf "$TARBALL"
    touch "$ROOT/.built"
    log "restored $ROOT from $TARBALL in $((SECONDS - started)) s"
    return
  fi
  export DEBIAN_FRONTEND=noninteractive
  if ! command -v debootstrap >/dev/null; then
    apt-get install -y -q debootstrap >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -q debootstrap >/dev/null; }
  fi
  command -v zstd >/dev/null || apt-get install -y -q zstd >/dev/null
  local m; m=$(mirror)
  log "debootstrap trixie from $m into $ROOT"
  debootstrap --variant=minbase trixie "$ROOT" "$m" >"$CACHE/rabbitmq4-debootstrap.log" 2>&1 ||
    die "debootstrap failed (log: $CACHE/rabbitmq4-debootstrap.log)"
  # The package's postinst would start a node on the default ports through invoke-rc.d: forbid it.
  printf '#!/bin/sh\nexit 101\n' > "$ROOT/usr/sbin/policy-rc.d"
  chmod +x "$ROOT/usr/sbin/policy-rc.d"
  mount -t proc proc "$ROOT/proc"
  local rc=0
  chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
    sh -c 'apt-get update -q && apt-get install -y -q --no-install-recommends rabbitmq-server && apt-get clean' \
    >>"$CACHE/rabbitmq4-debootstrap.log" 2>&1 || rc=$?
  [ $rc = 0 ] && { chroot "$ROOT" sh -c "groupmod -g $NODE_UID rabbitmq && usermod -u $NODE_UID -g $NODE_UID rabbitmq" || rc=$?; }
  umount "$ROOT/proc"
  [ $rc = 0 ] || die "installing rabbitmq-server in the chroot failed (log: $CACHE/rabbitmq4-debootstrap.log)"
  write_config
  chroot "$ROOT" chown -R rabbitmq:rabbitmq /etc/rabbitmq /var/lib/rabbitmq /var/log/rabbitmq
  # Other keys' chroots and tarballs are stale once the script changed (a chroot still in use is kept).
  find "$CACHE" -maxdepth 1 -name 'rabbitmq4-*.tar.zst' ! -name "rabbitmq4-$KEY.tar.zst" -delete
  local old
  for old in "$CACHE"/rabbitmq4-*/; do
    old=${old%/}
    [ "$old" = "$ROOT" ] || mountpoint -q "$old/proc" || rm -rf --one-file-system "$old"
  done
  tar -C "$ROOT" --numeric-owner --exclude='./proc/*' --exclude='./var/lib/rabbitmq/mnesia/*' \
    --exclude='./var/log/rabbitmq/*' --exclude='./var/lib/apt/lists/*' -I 'zstd -T2 -10' -cf "$TARBALL.tmp" .
  mv "$TARBALL.tmp" "$TARBALL"
  touch "$ROOT/.built"
  log "built $ROOT ($(chroot "$ROOT" dpkg-query -W -f '${Version}' rabbitmq-server)) in $((SECONDS - started)) s; cached as $TARBALL"
}

cmd_up() {
  local mode=permit
  case "${1:-}" in
    '') ;;
    --deny-deprecated) mode=deny ;;
    *) die "unknown option '$1' (use --deny-deprecated or nothing)" ;;
  esac
  cmd_build
  if running; then
    local cur; cur=$(cat "$MODEFILE" 2>/dev/null || echo permit)
    [ "$cur" = "$mode" ] || die "already running with deprecated features $cur; run 'down' first"
    log "already running (pid $(node_pid), deprecated features $mode)"
    echo "reused"
    return
  fi
  for p in $AMQP_PORT $MGMT_PORT $DIST_PORT; do
    port_busy "$p" && die "port $p is taken by another process; nothing was started"
  done
  write_config
  if [ "$mode" = deny ]; then
    cat > "$ROOT/etc/rabbitmq/conf.d/90-deny-deprecated.conf" <<'CONF'
deprecated_features.permit.transient_nonexcl_queues = false
deprecated_features.permit.global_qos = false
CONF
  else
    rm -f "$ROOT/etc/rabbitmq/conf.d/90-deny-deprecated.conf"
  fi
  # Every start is a fresh node: no queue, vhost or user left from an earlier run.
  rm -rf --one-file-system "$ROOT/var/lib/rabbitmq/mnesia" "$ROOT"/var/log/rabbitmq/*
  mkdir -p "$ROOT/var/lib/rabbitmq/mnesia"
  echo "$mode" > "$MODEFILE"
  chroot "$ROOT" chown -R rabbitmq:rabbitmq /etc/rabbitmq /var/lib/rabbitmq /var/log/rabbitmq
  mountpoint -q "$ROOT/proc" || mount -t proc proc "$ROOT/proc"
  local started=$SECONDS
  r4 rabbitmq-server -detached
  for _ in $(seq 1 90); do mgmt_up && break; sleep 1; done
  if ! mgmt_up || ! r4 rabbitmqctl -q -n "$NODE" await_startup --timeout 60 >/dev/null; then
    log "the node did not come up; its log:"
    tail -n 30 "$ROOT"/var/log/rabbitmq/*.log >&2 2>/dev/null || true
    cmd_down || true
    exit 1
  fi
  log "up in $((SECONDS - started)) s: $(version), deprecated features $mode, amqp 127.0.0.1:$AMQP_PORT, management http://127.0.0.1:$MGMT_PORT"
  echo "started"
}

version() {
  curl -fsS --max-time 5 -u guest:guest "http://127.0.0.1:$MGMT_PORT/api/overview" 2>/dev/null |
    grep -o '"rabbitmq_version":"[^"]*"' | cut -d'"' -f4 | sed 's/^/RabbitMQ /'
}

cmd_down() {
  local pid; pid=$(node_pid)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    r4 rabbitmqctl -q -n "$NODE" stop >/dev/null 2>&1 || kill -TERM "$pid"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    log "node stopped (pid $pid)"
  else
    log "node not running"
  fi
  # `rabbitmqctl stop` leaves the node's epmd running; it is found by its port, so the host's stays.
  local epmd; epmd=$(epmd_pid)
  if [ -n "$epmd" ]; then kill -TERM "$epmd"; log "epmd on $EPMD_PORT stopped (pid $epmd)"; fi
  if [ -d "$ROOT" ] && mountpoint -q "$ROOT/proc"; then umount "$ROOT/proc" || umount -l "$ROOT/proc"; fi
}

cmd_status() {
  if running && mgmt_up; then
    echo "running: $(version), pid $(node_pid), deprecated features $(cat "$MODEFILE" 2>/dev/null || echo permit)," \
      "amqp 127.0.0.1:$AMQP_PORT, management http://127.0.0.1:$MGMT_PORT, epmd $EPMD_PORT"
  else
    echo "not running (chroot: $([ -f "$ROOT/.built" ] && echo "$ROOT" || echo 'not built'))"
    exit 1
  fi
}

cmd_env() {
  cat <<ENV
export RABBITMQ_HOST=127.0.0.1
export RABBITMQ_PORT=$AMQP_PORT
export RABBITMQ_MGMT_URL=http://127.0.0.1:$MGMT_PORT
export RABBITMQ_USER=guest
export RABBITMQ_PASSWORD=guest
ENV
}

case "${1:-}" in
  check) cmd_check ;;
  build) cmd_build ;;
  up) shift; cmd_up "$@" ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) cmd_env ;;
  *) echo "usage: $0 check|build|up [--deny-deprecated]|down|status|env" >&2; exit 2 ;;
esac
