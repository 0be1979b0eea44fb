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
STATION_PORT="${MES_DEMO_STATION_PORT:-7001}"
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
[downlink]
interval_ms = 2000
[scan]
badge_prefix = "B-"
order_prefix = "PO:"
lot_prefix = "L:"
[[station]]
code = "ST-1"
scanner_port = "127.0.0.1:$STATION_PORT"
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
  # A planner for the console; the password is read from stdin, never argv.
  echo "violet tractor 19 lemons" | hub user add --tenant demo --login planner --role planner >/dev/null
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
wait_healthy "http://127.0.0.1:$HUB_PORT" hub || { kill -TERM "$HUB_PID"; exit 1; }
# Master data for the demo floor through the hub's REST API (a record that
# exists from an earlier run answers 409 and is left as it is).
api() {
  curl -sS -o /dev/null -w "%{http_code}" -X POST -H "Authorization: Bearer $MES_API_TOKEN" \
    -H 'content-type: application/json' "http://127.0.0.1:$HUB_PORT/api/v1/$1" -d "$2" >>"$DATA/seed.log"
  echo " POST $1" >>"$DATA/seed.log"
}
api units '{"code":"pcs","name":"pieces"}'
api units '{"code":"kg","name":"kilogram","decimals":3}'
api units '{"code":"sheet","name":"sheet"}'
api materials '{"code":"STEEL-2MM","name":"Steel sheet 2 mm","kind":"raw","base_unit":"kg","alt_units":[{"unit":"sheet","factor":"2.5"}],"lot_tracked":true,"standard_cost":"1.20"}'
api materials '{"code":"BRACKET","name":"Mounting bracket","kind":"finished","base_unit":"pcs","lot_tracked":true,"standard_cost":"3.50"}'
api equipment-types '{"code":"PRESS","name":"Press"}'
api worker-types '{"code":"OPERATOR","name":"Machine operator","hourly_rate":"32"}'
api workers '{"code":"W-17","name":"Ana Silva","badge":"0017","worker_type":"OPERATOR","site":"plant-1"}'
for unit in 1 2 3; do
  api equipment "{\"code\":\"sim-0$unit\",\"name\":\"Press $unit\",\"equipment_type\":\"PRESS\",\"site\":\"plant-1\",\"hourly_rate\":\"45\"}"
done
api warehouses '{"code":"MAIN","name":"Main store","site":"plant-1"}'
api locations '{"code":"STORE","warehouse":"MAIN","site":"plant-1"}'
api locations '{"code":"LINE-1","warehouse":"MAIN","site":"plant-1"}'
api stations '{"code":"ST-1","name":"Press station 1","site":"plant-1","equipment":["sim-01"],"location":"LINE-1"}'
api reasons '{"code":"BURR","kind":"scrap","text":"Burr on edge"}'
api reasons '{"code":"JAM","kind":"downtime","text":"Material jam"}'
api routings '{"material":"BRACKET","versions":[{"version":"1","operations":[{"operation":10,"name":"Press","equipment_type":"PRESS","setup_minutes":"15","run_minutes_per_unit":"0.5","worker_type":"OPERATOR","inputs":[{"material":"STEEL-2MM","quantity_per_unit":"0.25","unit":"kg"}]}]}]}'
api production-orders '{"code":"DEMO-1","material":"BRACKET","quantity":"100","site":"plant-1"}'
api production-orders/DEMO-1/release '{}'
api stock/documents '{"type":"receipt","document":"GR-1","location":"LINE-1","material":"STEEL-2MM","lot":"L-7","quantity":"40","unit":"kg","expires_on":"2027-12-31"}'
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
wait_healthy "http://127.0.0.1:$AGENT_PORT" agent

cat <<TXT

MES demo running.
  planners' console   http://127.0.0.1:$HUB_PORT/console/
                      company: demo, login: planner, password: violet tractor 19 lemons
  agent status page   http://127.0.0.1:$AGENT_PORT/
  agent metrics       http://127.0.0.1:$AGENT_PORT/metrics
  hub health          http://127.0.0.1:$HUB_PORT/healthz
  hub metrics         http://127.0.0.1:$HUB_PORT/metrics
  operator station    http://127.0.0.1:$AGENT_PORT/stations/ST-1
                      type: B-0017 (badge), PO:DEMO-1 (order), L:L-7 (lot), then report output
                      or from a "scanner": echo B-0017 > /dev/tcp/127.0.0.1/$STATION_PORT
  hub API             curl -H "Authorization: Bearer \$MES_API_TOKEN" http://127.0.0.1:$HUB_PORT/api/v1/stock
                      curl -H "Authorization: Bearer \$MES_API_TOKEN" http://127.0.0.1:$HUB_PORT/api/v1/production-orders/DEMO-1/actuals
                      http://127.0.0.1:$HUB_PORT/api/v1/openapi.json
  simulated machines  Modbus TCP 127.0.0.1:$SIM_PORT, unit ids 1-3 (layout in $DATA/machine-sim.log)
  probe the machines  ${BIN}/edge-agent probe -c $DATA/agent.toml
  agents and sync     curl -H "Authorization: Bearer \$MES_API_TOKEN" http://127.0.0.1:$HUB_PORT/api/v1/agents
                      (tokens are in $DATA/credentials.env)
  logs                $DATA/hub.log, $DATA/agent.log, $DATA/machine-sim.log
Press Ctrl-C to stop.
TXT
wait
