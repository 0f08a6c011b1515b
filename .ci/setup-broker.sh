#!/usr/bin/env bash
# Make sure a RabbitMQ with the management plugin answers on 127.0.0.1:5672 and :15672 (guest/guest).
set -uo pipefail
log() { echo "[setup-broker] $*"; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
export DEBIAN_FRONTEND=noninteractive

if ! command -v rabbitmq-server >/dev/null 2>&1; then
  log "rabbitmq-server missing: installing Debian's package"
  apt-get update -qq && apt-get install -y -qq rabbitmq-server >/dev/null
fi
if ! port_open 5672; then
  log "starting rabbitmq-server"
  rabbitmq-server -detached || true
fi
for _ in $(seq 1 120); do port_open 5672 && break; sleep 1; done
port_open 5672 || { log "RabbitMQ does not answer on 5672"; exit 1; }
rabbitmqctl await_startup >/dev/null 2>&1 || true
if ! port_open 15672; then
  log "enabling rabbitmq_management"
  rabbitmq-plugins enable rabbitmq_management >/dev/null
fi
for _ in $(seq 1 120); do
  if curl -fsS -u guest:guest http://127.0.0.1:15672/api/overview >/dev/null 2>&1; then
    log "broker ready (5672, 15672)"; exit 0
  fi
  sleep 1
done
log "management API does not answer on 15672"; exit 1
