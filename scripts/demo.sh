#!/usr/bin/env bash
# One-command demo: the hub on an embedded SQLite file, an edge agent with its
# built-in event generator, syncing to it. Everything lives in ./demo-data.
# Ctrl-C stops both cleanly (the agent commits its buffer before exiting).
set -euo pipefail
cd "$(dirname "$0")/.."

DATA="${MES_DEMO_DIR:-demo-data}"
HUB_PORT="${MES_DEMO_HUB_PORT:-8080}"
AGENT_PORT="${MES_DEMO_AGENT_PORT:-8081}"
mkdir -p "$DATA"

echo "building (first run takes a few minutes)..."
cargo build --quiet -p cloud-hub -p edge-agent
BIN="${CARGO_TARGET_DIR:-target}/debug"

cat > "$DATA/hub.toml" <<TOML
[http]
listen = "127.0.0.1:$HUB_PORT"
[database]
url = "sqlite://$DATA/hub.db"
TOML

cat > "$DATA/agent.toml" <<TOML
[hub]
url = "http://127.0.0.1:$HUB_PORT"
[buffer]
path = "$DATA/agent-buffer.db"
[http]
listen = "127.0.0.1:$AGENT_PORT"
[generator]
enabled = true
events_per_sec = 50
equipment = ["press-1", "press-2", "lathe-1", "mill-1"]
TOML

hub() { "$BIN/cloud-hub" -c "$DATA/hub.toml" "$@"; }

if [ ! -f "$DATA/credentials.env" ]; then
  hub tenant add demo >/dev/null
  hub site add --tenant demo plant-1 >/dev/null
  agent_out=$(hub agent add --tenant demo --site plant-1 --name demo-gateway 2>/dev/null)
  api_out=$(hub token add --tenant demo --name demo 2>/dev/null)
  value() { sed -n "s/^$1 *= *\"\(.*\)\"$/\1/p"; }
  umask 077
  {
    echo "MES_AGENT_ID=$(echo "$agent_out" | value agent_id)"
    echo "MES_AGENT_TOKEN=$(echo "$agent_out" | value token)"
    echo "MES_API_TOKEN=$(echo "$api_out" | value token)"
  } > "$DATA/credentials.env"
fi
set -a; . "$DATA/credentials.env"; set +a

wait_healthy() {
  for _ in $(seq 1 100); do
    curl -fsS "$1/healthz" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "$2 did not start; see $DATA/$2.log" >&2
  return 1
}

"$BIN/cloud-hub" -c "$DATA/hub.toml" serve 2>"$DATA/hub.log" &
HUB_PID=$!
"$BIN/edge-agent" run -c "$DATA/agent.toml" 2>"$DATA/agent.log" &
AGENT_PID=$!
stop() {
  echo; echo "stopping..."
  kill -TERM "$AGENT_PID" 2>/dev/null || true
  wait "$AGENT_PID" 2>/dev/null || true
  kill -TERM "$HUB_PID" 2>/dev/null || true
  wait "$HUB_PID" 2>/dev/null || true
  echo "stopped; data kept in $DATA (delete it to start over)"
}
trap stop INT TERM
wait_healthy "http://127.0.0.1:$HUB_PORT" hub
wait_healthy "http://127.0.0.1:$AGENT_PORT" agent

cat <<TXT

MES demo running.
  agent status page   http://127.0.0.1:$AGENT_PORT/
  agent metrics       http://127.0.0.1:$AGENT_PORT/metrics
  hub health          http://127.0.0.1:$HUB_PORT/healthz
  hub metrics         http://127.0.0.1:$HUB_PORT/metrics
  agents and sync     curl -H "Authorization: Bearer \$MES_API_TOKEN" http://127.0.0.1:$HUB_PORT/api/v1/agents
                      (tokens are in $DATA/credentials.env)
  logs                $DATA/hub.log, $DATA/agent.log
Press Ctrl-C to stop.
TXT
wait
