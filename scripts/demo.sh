#!/usr/bin/env bash
# One-command demo: the hub on an embedded SQLite file, three simulated
# machines served over Modbus TCP by machine-sim, and an edge agent polling
# them and syncing to the hub. Everything lives in ./demo-data.
# Ctrl-C stops both cleanly (the agent commits its buffer before exiting).
set -euo pipefail
cd "$(dirname "$0")/.."

DATA="${MES_DEMO_DIR:-demo-data}"
HUB_PORT="${MES_DEMO_HUB_PORT:-8080}"
AGENT_PORT="${MES_DEMO_AGENT_PORT:-8081}"
SIM_PORT="${MES_DEMO_SIM_PORT:-5020}"
mkdir -p "$DATA"

echo "building (first run takes a few minutes)..."
cargo build --quiet -p cloud-hub -p edge-agent -p machine-sim
BIN="${CARGO_TARGET_DIR:-target}/debug"

cat > "$DATA/hub.toml" <<TOML
[http]
listen = "127.0.0.1:$HUB_PORT"
[database]
url = "sqlite://$DATA/hub.db"
TOML

{
  cat <<TOML
[hub]
url = "http://127.0.0.1:$HUB_PORT"
[buffer]
path = "$DATA/agent-buffer.db"
[http]
listen = "127.0.0.1:$AGENT_PORT"
TOML
  for unit in 1 2 3; do
    name="sim-0$unit"
    cat <<TOML

[[modbus]]
name = "$name"
address = "127.0.0.1:$SIM_PORT"
unit_id = $unit
[[modbus.poll_groups]]
name = "machine"
interval_ms = 200
tags = [
  { name = "run", area = "coil", address = 0, type = "bool" },
  { name = "setup", area = "coil", address = 1, type = "bool" },
  { name = "fault_code", area = "holding_register", address = 1, type = "u16" },
  { name = "good_count", area = "holding_register", address = 2, type = "u16" },
  { name = "scrap_count", area = "holding_register", address = 3, type = "u16" },
  { name = "temperature", area = "holding_register", address = 4, type = "f32", order = "cdab", deadband = 1.0 },
  { name = "spindle_speed", area = "holding_register", address = 6, type = "f32", order = "cdab", deadband = 100.0 },
]
[[equipment]]
name = "$name"
device = "$name"
values = ["temperature", "spindle_speed"]
states = [
  { state = "down", tag = "fault_code", op = "ne", value = 0, reason_tag = "fault_code" },
  { state = "setup", tag = "setup", op = "true" },
  { state = "running", tag = "run", op = "true" },
]
counters = { good = { tag = "good_count", width = 16 }, scrap = { tag = "scrap_count", width = 16 } }
TOML
  done
} > "$DATA/agent.toml"

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
"$BIN/machine-sim" --machines 3 --modbus "127.0.0.1:$SIM_PORT" --seed 7 >"$DATA/machine-sim.log" 2>&1 &
SIM_PID=$!
"$BIN/edge-agent" run -c "$DATA/agent.toml" 2>"$DATA/agent.log" &
AGENT_PID=$!
stop() {
  echo; echo "stopping..."
  kill -TERM "$AGENT_PID" 2>/dev/null || true
  wait "$AGENT_PID" 2>/dev/null || true
  kill -TERM "$HUB_PID" "$SIM_PID" 2>/dev/null || true
  wait "$HUB_PID" "$SIM_PID" 2>/dev/null || true
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
  simulated machines  Modbus TCP 127.0.0.1:$SIM_PORT, unit ids 1-3 (layout in $DATA/machine-sim.log)
  probe the machines  ${BIN}/edge-agent probe -c $DATA/agent.toml
  agents and sync     curl -H "Authorization: Bearer \$MES_API_TOKEN" http://127.0.0.1:$HUB_PORT/api/v1/agents
                      (tokens are in $DATA/credentials.env)
  logs                $DATA/hub.log, $DATA/agent.log, $DATA/machine-sim.log
Press Ctrl-C to stop.
TXT
wait
