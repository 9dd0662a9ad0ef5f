#!/usr/bin/env bash
# Many vehicles: N distinct vehicles send one reading each (a large fleet, or a leaked credential
# inventing ids). Measures, for one or two fleetd binaries on the same data:
#   - peak RSS while ingesting and the detector vehicles in memory after;
#   - start-up: time from launch to /readyz 200 and RSS then, after the vehicles' stored states have
#     aged past --vehicle-idle-evict (their updated_at is moved 8 days back), with a fresh spool.
# Usage: sensors-sim/bench/vehicles.sh [N]   (default 200000)
# FLEETD_BIN (and FLEETD_BASE_BIN, to compare) and FLEET_SIM_BIN point at release binaries.
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-200000}
. sensors-sim/bench/common.sh
rss_mib() { awk '/VmRSS/ {printf "%d", $2/1024}' "/proc/$1/status" 2>/dev/null || echo 0; }

# $1 label, $2 binary: prints one table row.
measure() {
    local label=$1 fleetd=$2 db="${STACK_PG_URL%/*}/v_$1"
    psql -X -q "$STACK_PG_URL" -c "CREATE DATABASE v_$1"
    local args=(run --mqtt-url "mqtt://127.0.0.1:$STACK_MQTT_PORT" --postgres-url "$db" --admin-addr "127.0.0.1:$admin"
                --spool-path "$run_dir/$1.spool" --client-id "bench-$1" --log-level warning --mqtt-topics "fleet/#")
    "$fleetd" "${args[@]}" 2>>"$run_dir/$1.log" & fleetd_pid=$!
    until curl -sf "http://127.0.0.1:$admin/readyz" >/dev/null; do sleep 0.2; done
    "$sim_bin" load --mqtt-url "mqtt://127.0.0.1:$STACK_MQTT_PORT" --count "$N" --vehicles "$N" --qos 1 >/dev/null
    local peak=0 r acc
    for _ in $(seq 1 1200); do
        acc=$(metric fleetd_readings_accepted_total); r=$(rss_mib $fleetd_pid); [ "$r" -gt "$peak" ] && peak=$r
        [ "${acc%.*}" -ge "$N" ] 2>/dev/null && break
        sleep 0.1
    done
    sleep 12   # the reorder window passes and a snapshot stores every vehicle
    local in_memory; in_memory=$(metric fleetd_detector_vehicles_in_memory); in_memory=${in_memory:-n/a}
    kill -TERM $fleetd_pid; wait $fleetd_pid || true; fleetd_pid=""
    local stored; stored=$(psql -X -At "$db" -c "select count(*) from vehicle_state")
    psql -X -q "$db" -c "update vehicle_state set updated_at = now() - interval '8 days'"
    rm -f "$run_dir/$1.spool"
    local t0 t1; t0=$(date +%s.%N)
    "$fleetd" "${args[@]}" 2>>"$run_dir/$1.log" & fleetd_pid=$!
    until curl -sf "http://127.0.0.1:$admin/readyz" >/dev/null; do sleep 0.05; done
    t1=$(date +%s.%N)
    sleep 1
    local start_rss; start_rss=$(rss_mib $fleetd_pid)
    kill -TERM $fleetd_pid; wait $fleetd_pid || true; fleetd_pid=""
    printf '%-10s %10s %14s %12s %14s %14s\n' "$label" "$peak" "$in_memory" "$stored" \
        "$(echo "$t0 $t1" | awk '{printf "%.2f", $2-$1}')" "$start_rss"
}

printf '\n%d vehicles, one reading each\n' "$N"
printf '%-10s %10s %14s %12s %14s %14s\n' "fleetd" "peak MiB" "in memory" "stored" "start-up s" "RSS at start"
[ -n "${FLEETD_BASE_BIN:-}" ] && measure base "$FLEETD_BASE_BIN"
measure new "$fleetd_bin"
