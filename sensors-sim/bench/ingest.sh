#!/usr/bin/env bash
# Ingest throughput, measured in one run on the same queued messages:
#   broker alone     mosquitto_sub (QoS 1, persistent session) -> /dev/null
#   naive pipe       mosquitto_sub -> psql \copy into a one-column table (no index)
#   fleetd           broker -> fleetd -> PostgreSQL readings (primary key in place), exactly once,
#                    with its detectors on (events, snapshots) and with --detection off (readings only)
# Each consumer drains the same backlog of N QoS 1 messages that the broker queued for its
# persistent session while it was away, so the publisher's speed does not enter the figures.
# Usage: sensors-sim/bench/ingest.sh [N] [readings-per-message]   (default 200000 1)
# FLEETD_BIN and FLEET_SIM_BIN point at prebuilt release binaries to skip the build.
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-200000}
BATCH=${2:-1}
MESSAGES=$(( (N + BATCH - 1) / BATCH ))
. sensors-sim/bench/common.sh
MQ=$STACK_MQTT_PORT PG=$STACK_PG_URL
topics=(-t 'fleet/+/telemetry' -t 'fleet/+/fuel' -t 'fleet/+/odometer' -t 'fleet/+/gps')
now() { date +%s.%N; }

psql -X -q "$PG" -c "CREATE TABLE naive (payload text)"
psql -X -q "$PG" -c "CREATE DATABASE readings_only"
PG_OFF="${PG%/*}/readings_only"
# $1: detection on|off. Each mode has its own session, spool and database.
fleetd_args() {
    local db=$PG; [ "$1" = off ] && db=$PG_OFF
    echo run --mqtt-url "mqtt://127.0.0.1:$MQ" --postgres-url "$db" --admin-addr "127.0.0.1:$admin" \
        --spool-path "$run_dir/fleetd-$1.spool" --client-id "bench-fleetd-$1" --detection "$1" --log-level warning
}

# Create the four persistent sessions, then leave.
for mode in on off; do
    # shellcheck disable=SC2046
    "$fleetd_bin" $(fleetd_args $mode) 2>>"$run_dir/fleetd.log" & fleetd_pid=$!
    until curl -sf "http://127.0.0.1:$admin/readyz" >/dev/null; do sleep 0.2; done
    kill -TERM $fleetd_pid; wait $fleetd_pid || true; fleetd_pid=""
done
for id in bench-broker bench-naive; do
    mosquitto_sub -h 127.0.0.1 -p "$MQ" -q 1 -c -i "$id" "${topics[@]}" -W 1 >/dev/null 2>&1 || true
done

echo "publishing $N readings in $MESSAGES QoS 1 messages (queued for each session)..." >&2
"$sim_bin" load --mqtt-url "mqtt://127.0.0.1:$MQ" --count "$N" --qos 1 --vehicles 1000 --batch "$BATCH" >&2

t0=$(now)
mosquitto_sub -h 127.0.0.1 -p "$MQ" -q 1 -c -i bench-broker "${topics[@]}" -C "$MESSAGES" >/dev/null
t1=$(now)
broker=$(echo "$t0 $t1" | awk -v n="$N" '{printf "%.0f", n/($2-$1)}')

t0=$(now)
mosquitto_sub -h 127.0.0.1 -p "$MQ" -q 1 -c -i bench-naive "${topics[@]}" -C "$MESSAGES" \
    | psql -X -q "$PG" -c "\copy naive(payload) from stdin"
t1=$(now)
naive=$(echo "$t0 $t1" | awk -v n="$N" '{printf "%.0f", n/($2-$1)}')
naive_rows=$(psql -X -At "$PG" -c "select count(*) from naive")

# $1: detection on|off. Sets fleetd_rate, fleetd_cpu, fleetd_rss_mib, fleetd_rows.
drain_fleetd() {
    local db=$PG; [ "$1" = off ] && db=$PG_OFF
    t0=$(now)
    # shellcheck disable=SC2046
    "$fleetd_bin" $(fleetd_args "$1") 2>>"$run_dir/fleetd.log" & fleetd_pid=$!
    local peak_rss=0 acc rss
    while :; do
        acc=$(metric fleetd_readings_accepted_total); acc=${acc:-0}
        rss=$(awk '/VmRSS/ {print $2}' /proc/$fleetd_pid/status 2>/dev/null || echo 0)
        [ "${rss:-0}" -gt "$peak_rss" ] && peak_rss=$rss
        [ "${acc%.*}" -ge "$N" ] && break
        sleep 0.05
    done
    t1=$(now)
    fleetd_cpu=$(metric process_cpu_seconds_total)
    fleetd_rows=$(psql -X -At "$db" -c "select count(*) from readings")
    fleetd_events=$(psql -X -At "$db" -c "select (select count(*) from fuel_transactions) + (select count(*) from anomalies) + (select count(*) from maintenance_alerts)")
    kill -TERM $fleetd_pid; wait $fleetd_pid || true; fleetd_pid=""
    fleetd_rate=$(echo "$t0 $t1" | awk -v n="$N" '{printf "%.0f", n/($2-$1)}')
    fleetd_rss_mib=$((peak_rss / 1024))
}
# One drain each; run the script twice (or more) to see the spread on a shared machine.
drain_fleetd on;  on_rate=$fleetd_rate;  on_cpu=$fleetd_cpu;  on_rss=$fleetd_rss_mib;  on_rows=$fleetd_rows; on_events=$fleetd_events
drain_fleetd off; off_rate=$fleetd_rate; off_cpu=$fleetd_cpu; off_rss=$fleetd_rss_mib; off_rows=$fleetd_rows
per_m() { echo "$1" | awk -v n="$N" '{printf "%.1f", $1/n*1e6}'; }

printf '\n%-44s %12s %10s\n' "consumer (QoS 1, $N readings, $BATCH per message)" "readings/s" "vs naive"
printf '%-44s %12s %10s\n' "broker alone (mosquitto_sub > /dev/null)" "$broker" "$(awk -v a=$broker -v b=$naive 'BEGIN{printf "%.2f", a/b}')"
printf '%-44s %12s %10s\n' "naive pipe (mosquitto_sub | psql \\copy)" "$naive" "1.00"
printf '%-44s %12s %10s\n' "fleetd --detection off (readings only)" "$off_rate" "$(awk -v a=$off_rate -v b=$naive 'BEGIN{printf "%.2f", a/b}')"
printf '%-44s %12s %10s\n' "fleetd with detectors (events, snapshots)" "$on_rate" "$(awk -v a=$on_rate -v b=$naive 'BEGIN{printf "%.2f", a/b}')"
echo "detection keeps $(awk -v a=$on_rate -v b=$off_rate 'BEGIN{printf "%.2f", a/b}')x of the readings-only rate; $on_events events written"
echo "rows: naive $naive_rows, fleetd $on_rows / readings-only $off_rows"
echo "CPU per million readings (includes start-up): detectors $(per_m "$on_cpu") s, readings only $(per_m "$off_cpu") s; peak RSS $on_rss / $off_rss MiB"
