#!/usr/bin/env bash
# Detection quality end to end: per scenario, a fresh private mosquitto + PostgreSQL,
# the real fleetd, `fleet-sim scenario` publishing over MQTT, then `fleet-sim score --side-by-side`:
# fleetd's fuel_transactions / anomalies / maintenance_alerts against the truth file, next to a
# Traccar-style naive detector run over the same stored readings.
# Usage: sensors-sim/bench/score.sh [--vehicles N] [--days D] [--seed S] [--speed X] [--out DIR] [scenario ...]
#   defaults: 500 vehicles, 3 days, seed 1, speed 0 (as fast as possible),
#   scenarios realistic slosh-heavy faulty-sensors backlog clean; --out DIR saves DIR/SCENARIO.txt.
# FLEETD_BIN and FLEET_SIM_BIN point at prebuilt release binaries to skip the build.
# SCORE_MAX_WALL (s, default 3600) bounds each publish run and each wait for fleetd to catch up.
set -euo pipefail
cd "$(dirname "$0")/../.."
vehicles=500 days=3 seed=1 speed=0 out="" scenarios=()
while [ $# -gt 0 ]; do
    case "$1" in
        --vehicles) vehicles=$2; shift 2 ;;
        --days) days=$2; shift 2 ;;
        --seed) seed=$2; shift 2 ;;
        --speed) speed=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        -h|--help) sed -n 2,10p "$0"; exit 0 ;;
        -*) echo "usage: $0 [--vehicles N] [--days D] [--seed S] [--speed X] [--out DIR] [scenario ...]" >&2; exit 2 ;;
        *) scenarios+=("$1"); shift ;;
    esac
done
[ ${#scenarios[@]} -gt 0 ] || scenarios=(realistic slosh-heavy faulty-sensors backlog clean)
max_wall=${SCORE_MAX_WALL:-3600}

bash deploy/install-deps.sh
. deploy/local/stack.sh
if [ -z "${FLEETD_BIN:-}" ] || [ -z "${FLEET_SIM_BIN:-}" ]; then
    echo "== building fleetd and fleet-sim (release)" >&2
    swift build -c release --product fleetd >/dev/null
    swift build -c release --product fleet-sim >/dev/null
    bin=$(swift build -c release --show-bin-path)
fi
fleetd_bin=${FLEETD_BIN:-$bin/fleetd}
sim_bin=${FLEET_SIM_BIN:-$bin/fleet-sim}
[ -z "$out" ] || mkdir -p "$out"

run_dir="$PWD/.run/score-$$"
mkdir -p "$run_dir"; chmod 755 "$PWD/.run" "$run_dir"
fleetd_pid="" stack=""
stop_scenario() {
    if [ -n "$fleetd_pid" ]; then kill -TERM "$fleetd_pid" 2>/dev/null || true; wait "$fleetd_pid" 2>/dev/null || true; fi
    fleetd_pid=""
    if [ -n "$stack" ]; then stack_stop "$stack"; rm -rf "$stack"; fi
    stack=""
}
cleanup() { stop_scenario; rm -rf "$run_dir"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { date +%s; }
metric() { { curl -s "http://127.0.0.1:$admin/metrics" || true; } | awk -v m="$1" '$1==m {print $2}'; }

# Waits until fleetd has committed everything: accepted readings unchanged for 5 s and the readings
# count the same on two looks, then the reorder window once more (published faster than real time,
# every reading arrives as a backlog and waits 10 s of receiving time before the detectors see it).
wait_committed() {
    local last=-1 stable=0 rows=-1 n deadline=$(( $(now) + max_wall ))
    while [ "$(now)" -lt "$deadline" ]; do
        kill -0 "$fleetd_pid" 2>/dev/null || { echo "fleetd exited; log:" >&2; tail -20 "$stack/fleetd.log" >&2; return 1; }
        local acc
        acc=$(metric fleetd_readings_accepted_total)
        if [ -n "$acc" ] && [ "$acc" = "$last" ]; then stable=$((stable + 1)); else stable=0; fi
        last=$acc
        if [ "$stable" -ge 5 ]; then
            n=$(psql -X -At "$STACK_PG_URL" -c "SELECT count(*) FROM readings")
            if [ "$n" = "$rows" ]; then sleep 12; return 0; fi
            rows=$n stable=0
        fi
        sleep 1
    done
    echo "timed out after ${max_wall}s waiting for fleetd to commit (accepted $last)" >&2
    return 1
}

run_scenario() {
    local name=$1 t0 t1 t2 t3
    t0=$(now)
    stack="$run_dir/$name"
    mkdir -p "$stack"
    stack_start "$stack" >/dev/null
    admin=$(stack_free_port)
    "$fleetd_bin" run --mqtt-url "mqtt://127.0.0.1:$STACK_MQTT_PORT" --postgres-url "$STACK_PG_URL" \
        --admin-addr "127.0.0.1:$admin" --spool-path "$stack/fleetd.spool" --client-id fleetd-score \
        --log-level warning 2>>"$stack/fleetd.log" &
    fleetd_pid=$!
    for _ in $(seq 1 300); do
        curl -sf "http://127.0.0.1:$admin/readyz" >/dev/null && break
        kill -0 "$fleetd_pid" 2>/dev/null || { cat "$stack/fleetd.log" >&2; return 1; }
        sleep 0.2
    done
    curl -sf "http://127.0.0.1:$admin/readyz" >/dev/null || { echo "fleetd not ready after 60 s" >&2; return 1; }

    echo "== $name: $vehicles vehicles × $days days, seed $seed: publishing (progress on stderr)"
    "$sim_bin" scenario "$name" --vehicles "$vehicles" --days "$days" --seed "$seed" --speed "$speed" \
        --mqtt-url "mqtt://127.0.0.1:$STACK_MQTT_PORT" --postgres-url "$STACK_PG_URL" \
        --truth "$stack/truth.jsonl" --max-wall-seconds "$max_wall"
    t1=$(now)
    echo "== $name: waiting for fleetd to commit everything"
    wait_committed
    t2=$(now)
    psql -X -q "$STACK_PG_URL" <<'SQL'
\pset footer off
SELECT (SELECT count(*) FROM readings) AS readings,
       (SELECT count(*) FROM rejected_messages) AS rejected,
       (SELECT count(*) FROM fuel_transactions) AS fuel_transactions,
       (SELECT count(*) FROM anomalies) AS anomalies,
       (SELECT count(*) FROM maintenance_alerts) AS maintenance_alerts;
SQL
    echo "fleetd: accepted $(metric fleetd_readings_accepted_total), duplicates $(metric fleetd_readings_duplicate_total), late $(metric fleetd_readings_late_total)"
    # A broker that had to drop queued messages would make the score meaningless.
    if grep -qi "drop" "$stack/mqtt/mosquitto.log" 2>/dev/null; then
        echo "WARNING: mosquitto dropped messages:"; grep -i "drop" "$stack/mqtt/mosquitto.log" | tail -3
    fi
    echo "== $name: score (fleetd vs naive)"
    "$sim_bin" score --truth "$stack/truth.jsonl" --postgres-url "$STACK_PG_URL" --side-by-side
    t3=$(now)
    echo "wall time: publish $((t1 - t0)) s, catch-up $((t2 - t1)) s, score $((t3 - t2)) s, total $((t3 - t0)) s"
    stop_scenario
}

for s in "${scenarios[@]}"; do
    if [ -n "$out" ]; then
        # Not a pipe: run_scenario must run in this shell so the trap sees its fleetd and stack.
        run_scenario "$s" > >(tee "$out/$s.txt") 2>&1
    else
        run_scenario "$s"
    fi
done
