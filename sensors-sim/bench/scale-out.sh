#!/usr/bin/env bash
# Several instances: throughput and CPU per reading of 1, 2 and 3 fleetd instances in one $share
# group with detection shared by partition (--partitions), on this machine, each figure next to a
# lone instance detecting in process (no --partitions) of the same run. Every instance ingests and detects (--role all). For each count,
# a fresh database; the instances start, settle their partitions, then fleet-sim publishes N readings
# at QoS 1 as fast as it can, and the run is timed until every reading is committed (ingest) and
# until every owner has read them all back (detection caught up). CPU is per reading: all instances'
# user and system time, and PostgreSQL's (every server process) over the run. On two cores the
# instances, PostgreSQL, the broker and the publisher share the same CPUs: expect the per-reading
# cost, not speed-up.
# Usage: sensors-sim/bench/scale-out.sh [N]   (default 200000)
# FLEETD_BIN and FLEET_SIM_BIN point at prebuilt release binaries to skip the build.
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-200000}
. sensors-sim/bench/common.sh
TCK=$(getconf CLK_TCK)
now() { date +%s.%N; }
pg_cpu() {
    local pm; pm=$(head -1 "$run_dir/pg/data/postmaster.pid")
    { cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk -v pm="$pm" -v tck="$TCK" '
        { pid = $1; sub(/^.*\) /, "")
          if (pid == pm) { u += $12 + $14; s += $13 + $15 } else if ($2 == pm) { u += $12; s += $13 } }
        END { printf "%.3f", (u + s) / tck }'
}
proc_cpu() { awk -v tck="$TCK" '{ sub(/^.*\) /, ""); printf "%.3f", ($12 + $13) / tck }' "/proc/$1/stat" 2>/dev/null || echo 0; }
metric_at() { { curl -s "http://127.0.0.1:$1/metrics" || true; } | awk -v m="$2" '$1==m {print $2}'; }

declare -A ingest_rate detect_rate fleetd_us pg_us
pids=()
stop_all() { for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done; pids=(); }
trap 'stop_all; cleanup' EXIT

for mode in lone 1 2 3; do
    n=${mode/lone/1}
    db="${STACK_PG_URL%/*}/scale_$mode"
    psql -X -q "$STACK_PG_URL" -c "CREATE DATABASE scale_$mode"
    topics="\$share/g$mode/fleet/+/telemetry,\$share/g$mode/fleet/+/fuel,\$share/g$mode/fleet/+/odometer,\$share/g$mode/fleet/+/gps"
    sharing=(--mqtt-topics "$topics" --partitions 8)
    [ "$mode" = lone ] && sharing=()
    ports=()
    for i in $(seq 1 "$n"); do
        port=$(stack_free_port); ports+=("$port")
        "$fleetd_bin" run --mqtt-url "mqtt://127.0.0.1:$STACK_MQTT_PORT" --postgres-url "$db" --admin-addr "127.0.0.1:$port" \
            --spool-path "$run_dir/s$mode-$i.spool" --client-id "scale-$mode-$i" "${sharing[@]}" \
            --log-level notice 2>>"$run_dir/scale-$mode.log" & pids+=($!)
    done
    for port in "${ports[@]}"; do until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; do sleep 0.2; done; done
    # Partitions settle: the first took all, the others get theirs after the settle time (10 s).
    for _ in $(seq 1 300); do
        owned=0; least=99
        for port in "${ports[@]}"; do o=$(metric_at "$port" fleetd_detection_partitions_owned); o=${o%.*}; owned=$((owned + ${o:-0})); [ "${o:-0}" -lt "$least" ] && least=${o:-0}; done
        { [ "$mode" = lone ] || { [ "$owned" -eq 8 ] && [ "$least" -ge $((8 / n)) ]; }; } && break
        sleep 0.2
    done
    echo "$mode: $n instance(s) ready, publishing $N readings" >&2
    c0=0; for p in "${pids[@]}"; do c0=$(awk -v a="$c0" -v b="$(proc_cpu "$p")" 'BEGIN {print a + b}'); done
    p0=$(pg_cpu); t0=$(now)
    "$sim_bin" load --mqtt-url "mqtt://127.0.0.1:$STACK_MQTT_PORT" --count "$N" --qos 1 --vehicles 1000 >/dev/null &
    load_pid=$!
    t_ingest=""
    for _ in $(seq 1 6000); do
        if [ -z "$t_ingest" ]; then
            stored=$(psql -X -At "$db" -c "select count(*) from readings")
            [ "$stored" -ge "$N" ] && t_ingest=$(now)
            # A lone instance detects in process, as it stores.
            [ -n "$t_ingest" ] && [ "$mode" = lone ] && break
        else
            lagging=0
            for port in "${ports[@]}"; do
                l=$(metric_at "$port" fleetd_detection_lag_seconds)
                awk -v l="${l:-1}" 'BEGIN {exit !(l + 0 == 0)}' || lagging=1
            done
            # Caught up: every owner's last read found nothing new (its lag gauge is reset to 0).
            [ "$lagging" = 0 ] && break
        fi
        sleep 0.1
    done
    t1=$(now); p1=$(pg_cpu)
    wait $load_pid || true
    if [ -z "$t_ingest" ] || ! kill -0 "${pids[@]}" 2>/dev/null; then
        echo "$mode: did not finish (stored $(psql -X -At "$db" -c "select count(*) from readings") of $N); instances' log:" >&2
        tail -20 "$run_dir/scale-$mode.log" >&2
        exit 1
    fi
    c1=0; for p in "${pids[@]}"; do c1=$(awk -v a="$c1" -v b="$(proc_cpu "$p")" 'BEGIN {print a + b}'); done
    ingest_rate[$mode]=$(awk -v a="$t0" -v b="$t_ingest" -v n="$N" 'BEGIN {printf "%.0f", n / (b - a)}')
    detect_rate[$mode]=$(awk -v a="$t0" -v b="$t1" -v n="$N" 'BEGIN {printf "%.0f", n / (b - a)}')
    fleetd_us[$mode]=$(awk -v a="$c0" -v b="$c1" -v n="$N" 'BEGIN {printf "%.2f", (b - a) / n * 1e6}')
    pg_us[$mode]=$(awk -v a="$p0" -v b="$p1" -v n="$N" 'BEGIN {printf "%.2f", (b - a) / n * 1e6}')
    stop_all
done

printf '\n%d readings at QoS 1, 1000 vehicles, --partitions 8, every instance ingesting and detecting\n' "$N"
printf '%-10s %12s %8s %14s %8s %16s %12s\n' instances "stored/s" "vs alone" "detected/s" "vs alone" "fleetd CPU µs" "PG CPU µs"
for mode in lone 1 2 3; do
    printf '%-10s %12s %8s %14s %8s %16s %12s\n' "${mode/lone/1 alone}" "${ingest_rate[$mode]}" \
        "$(awk -v a="${ingest_rate[$mode]}" -v b="${ingest_rate[lone]}" 'BEGIN {printf "%.2f", a / b}')" "${detect_rate[$mode]}" \
        "$(awk -v a="${detect_rate[$mode]}" -v b="${detect_rate[lone]}" 'BEGIN {printf "%.2f", a / b}')" "${fleetd_us[$mode]}" "${pg_us[$mode]}"
done
echo "(1 alone: no --partitions, detection in process from the spool; the others read back what they own)"
