#!/usr/bin/env bash
# fleetd's main job on a private local stack: starts mosquitto and PostgreSQL on free loopback
# ports under .run/, runs fleetd and a simulated fleet through it, shows what came out, and
# stops everything again. Options: --vehicles N (default 100), --days D (default 0.5),
# --scenario NAME (default realistic), --speed X (simulated seconds per wall second, default 0: as
# fast as fleetd takes it; 60 shows live behaviour, an hour a minute, ending at the wall clock),
# --keep (leave the stack running; stop with Ctrl-C).
set -euo pipefail
cd "$(dirname "$0")/.."
vehicles=100 days=0.5 scenario=realistic speed=0 keep=0
while [ $# -gt 0 ]; do
    case "$1" in
        --vehicles) vehicles=$2; shift 2 ;;
        --days) days=$2; shift 2 ;;
        --scenario) scenario=$2; shift 2 ;;
        --speed) speed=$2; shift 2 ;;
        --keep) keep=1; shift ;;
        *) echo "usage: $0 [--vehicles N] [--days D] [--scenario NAME] [--speed X] [--keep]" >&2; exit 2 ;;
    esac
done

bash deploy/install-deps.sh
. deploy/local/stack.sh
echo "== building fleetd and fleet-sim (the first build takes a few minutes)"
swift build --product fleetd 2>&1 | grep -E "error|warning: |Compiling|Build" | tail -3
swift build --product fleet-sim 2>&1 | grep -E "error|warning: |Build" | tail -2
bin=$(swift build --show-bin-path)

run_dir="$PWD/.run/local-$$"
mkdir -p "$run_dir"
chmod 755 "$PWD/.run" "$run_dir"
fleetd_pid=""
events_pid=""
cleanup() {
    [ -n "$events_pid" ] && kill "$events_pid" 2>/dev/null || true
    [ -n "$fleetd_pid" ] && kill -TERM "$fleetd_pid" 2>/dev/null && wait "$fleetd_pid" 2>/dev/null || true
    stack_stop "$run_dir"
}
trap cleanup EXIT

echo "== starting a private mosquitto and PostgreSQL"
stack_start "$run_dir"
admin_port=$(stack_free_port)
echo "   mosquitto 127.0.0.1:$STACK_MQTT_PORT, postgres $STACK_PG_URL, admin http://127.0.0.1:$admin_port"

echo "== starting fleetd"
"$bin/fleetd" run --mqtt-url "mqtt://127.0.0.1:$STACK_MQTT_PORT" --postgres-url "$STACK_PG_URL" \
    --admin-addr "127.0.0.1:$admin_port" --spool-path "$run_dir/fleetd.spool" --client-id fleetd-local \
    2>"$run_dir/fleetd.log" &
fleetd_pid=$!
for _ in $(seq 1 300); do
    curl -sf "http://127.0.0.1:$admin_port/readyz" >/dev/null && break
    kill -0 "$fleetd_pid" 2>/dev/null || { cat "$run_dir/fleetd.log"; exit 1; }
    sleep 0.2
done
curl -s "http://127.0.0.1:$admin_port/readyz"; echo
# What a dispatcher's app would hear: fleetd publishes each committed event on fleetd/events/{kind}/{vehicle}.
mosquitto_sub -h 127.0.0.1 -p "$STACK_MQTT_PORT" -q 1 -t 'fleetd/events/#' -v >"$run_dir/events.mqtt" 2>/dev/null &
events_pid=$!

if awk -v s="$speed" 'BEGIN { exit !(s > 0) }'; then
    # Paced: the span ends at the wall clock, so the last of it arrives as it would live.
    start=$(date -u -d "@$(awk -v d="$days" -v s="$speed" -v now="$(date +%s)" 'BEGIN { printf "%d", now - d * 86400 * (1 - 1 / s) }')" +%FT%TZ)
    max_wall=$(awk -v d="$days" -v s="$speed" 'BEGIN { printf "%d", d * 86400 / s + 120 }')
    pace="paced at ${speed}x real time"
else
    # The simulated span starts at 06:00 UTC a day or more ago: the same working day on every run
    # (not whatever the last hours before now happened to hold), and never ahead of the wall clock.
    back=$(awk -v d="$days" 'BEGIN { n = int(d); if (n < d) n++; print n + 1 }')
    start="$(date -u -d "$(date -u +%F) -$back days" +%F)T06:00:00Z"
    max_wall=600
    pace="published as fast as fleetd takes it"
fi
echo "== simulating $vehicles vehicles for $days days from $start ($scenario), $pace"
"$bin/fleet-sim" scenario "$scenario" --vehicles "$vehicles" --days "$days" --seed 1 --speed "$speed" --start "$start" \
    --mqtt-url "mqtt://127.0.0.1:$STACK_MQTT_PORT" --postgres-url "$STACK_PG_URL" \
    --truth "$run_dir/truth.jsonl" --max-wall-seconds "$max_wall"

echo "== waiting for fleetd to commit everything"
metric() { curl -s "http://127.0.0.1:$admin_port/metrics" | awk -v m="$1" '$1==m {print $2}'; }
last=-1
for _ in $(seq 1 600); do
    used=$(metric fleetd_spool_used_bytes); accepted=$(metric fleetd_readings_accepted_total)
    [ "${used%.*}" = 0 ] && [ "$accepted" = "$last" ] && break
    last=$accepted
    sleep 0.5
done
# Published faster than real time, readings arrive as backlogs and wait out the reorder window
# (10 s of receiving time) before the detectors see them; device times say when things happened.
sleep 12

echo "== what came out"
psql -X -q "$STACK_PG_URL" <<'SQL'
\pset footer off
SELECT 'readings' AS "table", count(*) AS rows FROM readings
UNION ALL SELECT 'vehicles', count(*) FROM vehicles
UNION ALL SELECT 'rejected_messages', count(*) FROM rejected_messages
UNION ALL SELECT 'fuel_transactions', count(*) FROM fuel_transactions
UNION ALL SELECT 'anomalies', count(*) FROM anomalies
UNION ALL SELECT 'maintenance_alerts', count(*) FROM maintenance_alerts;
SELECT channel, count(*) AS readings, count(DISTINCT vehicle_id) AS vehicles,
       min(ts) AS first, max(ts) AS last FROM readings GROUP BY channel ORDER BY channel;
SELECT reason, count(*) FROM rejected_messages GROUP BY reason ORDER BY count(*) DESC;
SELECT vehicle_id, channel, ts, fuel_l, odometer_km, lat, lon, speed_kmh FROM readings
ORDER BY received_at DESC LIMIT 5;
SELECT 'fuel_transactions' AS "table", kind, count(*) FROM fuel_transactions GROUP BY kind
UNION ALL SELECT 'anomalies', kind, count(*) FROM anomalies GROUP BY kind
UNION ALL SELECT 'maintenance_alerts', level, count(*) FROM maintenance_alerts GROUP BY level ORDER BY 1, 2;
\echo 'the emptiest tanks now (vehicle_status):'
SELECT vehicle_id, round(fuel_l::numeric, 1) AS litres, round(fuel_pct::numeric, 1) AS percent,
       round(lat::numeric, 4) AS lat, round(lon::numeric, 4) AS lon, ignition, last_seen_at
FROM vehicle_status ORDER BY fuel_pct NULLS LAST LIMIT 5;
\echo 'per vehicle and day (vehicle_daily), the least efficient:'
SELECT vehicle_id, day, round(distance_km::numeric, 1) AS km, round(fuel_used_l::numeric, 1) AS litres,
       round(km_per_l::numeric, 2) AS km_per_l, refuels, drains
FROM vehicle_daily WHERE km_per_l IS NOT NULL ORDER BY km_per_l LIMIT 5;
\echo 'maintenance due (maintenance_due):'
SELECT status, count(*) AS plans, count(DISTINCT vehicle_id) AS vehicles FROM maintenance_due GROUP BY status ORDER BY status;
SQL
echo "== events out: a subscriber to fleetd/events/# heard $(wc -l <"$run_dir/events.mqtt") events (the events view holds $(psql -X -qAt "$STACK_PG_URL" -c 'SELECT count(*) FROM events')); the last fuel transactions:"
{ grep -E '^fleetd/events/(drain|refuel)/' "$run_dir/events.mqtt" || true; } | tail -3 | cut -c1-220
echo "== fleetd metrics"
curl -s "http://127.0.0.1:$admin_port/metrics" | grep -E '^fleetd_(mqtt_messages_received_total|readings_(accepted|duplicate)_total|rows_written_total\{table="readings"\}|spool_used_bytes|vehicles_tracked|batch_commit_seconds_(sum|count)|events_published_total\{sink="mqtt"\}|event_publish_lag) '
echo "== detections scored against the simulator's ground truth, next to a naive detector on the same readings"
"$bin/fleet-sim" score --truth "$run_dir/truth.jsonl" --postgres-url "$STACK_PG_URL" --side-by-side || true

if [ "$keep" = 1 ]; then
    echo "== the stack keeps running (fleetd log: $run_dir/fleetd.log); Ctrl-C stops it"
    wait "$fleetd_pid"
fi
