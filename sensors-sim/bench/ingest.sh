#!/usr/bin/env bash
# Ingest throughput and CPU per reading, measured in one run on the same queued messages:
#   mosquitto_sub    mosquitto_sub -q 1 -> /dev/null
#   C floor          floor-sub.c: libmosquitto with fleetd's client settings, a callback that reads
#                    each payload once and nothing else (what no subscriber on libmosquitto can beat)
#   naive pipe       mosquitto_sub -> psql \copy into a one-column table (no index)
#   fleetd           broker -> fleetd -> PostgreSQL readings (primary key in place), exactly once,
#                    with its detectors on (events, snapshots) and with --detection off (readings only);
#                    with FLEETD_BASE_BIN set, a second build with detectors on, to compare builds
# Each consumer drains the same backlog of N messages that the broker queued for its persistent
# session while it was away, so the publisher's speed does not enter the figures. CPU is per reading:
# the consumer's own user and system time (mosquitto_sub and psql for the naive pipe) and
# PostgreSQL's (every server process, the ended backends included) over the drain.
# Usage: sensors-sim/bench/ingest.sh [N] [readings-per-message]   (default 200000 1)
#   QOS=0 publishes at QoS 0 (the broker is told to queue QoS 0 messages for offline sessions).
# FLEETD_BIN and FLEET_SIM_BIN point at prebuilt release binaries to skip the build; FLEETD_ARGS adds
# flags to every fleetd run (e.g. --batch-size 20000). PERF_FREQ sets PERF_OUT's sampling rate (999 Hz).
# Prints a table and one JSON line (also written to $BENCH_JSON when set). PERF_OUT=FILE records a
# system-wide profile (perf record -a -g) while fleetd with detectors on drains into FILE, so fleetd
# and PostgreSQL both show (perf report --comm fleetd, --comm postgres); its figures carry perf's cost.
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-200000}
BATCH=${2:-1}
QOS=${QOS:-1}
MESSAGES=$(( (N + BATCH - 1) / BATCH ))
. sensors-sim/bench/common.sh
MQ=$STACK_MQTT_PORT PG=$STACK_PG_URL
topics=(-t 'fleet/+/telemetry' -t 'fleet/+/fuel' -t 'fleet/+/odometer' -t 'fleet/+/gps')
TCK=$(getconf CLK_TCK)
now() { date +%s.%N; }

floor_bin="$run_dir/floor-sub"
cc -O2 -o "$floor_bin" sensors-sim/bench/floor-sub.c -lmosquitto

if [ "$QOS" = 0 ]; then
    echo "queue_qos0_messages true" >>"$run_dir/mqtt/mosquitto.conf"
    stack_stop_mosquitto "$run_dir"; stack_resume_mosquitto "$run_dir"
fi

# CPU seconds (user, system) of PostgreSQL's server processes: the live ones and those ended (the
# postmaster reaps its backends, so their time is in its children's total).
pg_cpu() {
    local pm; pm=$(head -1 "$run_dir/pg/data/postmaster.pid")
    { cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk -v pm="$pm" -v tck="$TCK" '
        { pid = $1; sub(/^.*\) /, "")
          if (pid == pm) { u += $12 + $14; s += $13 + $15 } else if ($2 == pm) { u += $12; s += $13 } }
        END { printf "%.3f %.3f", u / tck, s / tck }'
}
# user and system CPU seconds of a live process
proc_cpu() { awk -v tck="$TCK" '{ sub(/^.*\) /, ""); printf "%.3f %.3f", $12 / tck, $13 / tck }' "/proc/$1/stat"; }
# Runs a command line; prints the user and system seconds it and its children took.
timed() {
    ( eval "$1" >/dev/null || true; times >"$run_dir/times" )
    tail -1 "$run_dir/times" | awk '{ split($1, u, /[ms]/); split($2, s, /[ms]/); printf "%.3f %.3f", u[1] * 60 + u[2], s[1] * 60 + s[2] }'
}

psql -X -q "$PG" -c "CREATE TABLE naive (payload text)"
psql -X -q "$PG" -c "CREATE DATABASE readings_only"
psql -X -q "$PG" -c "CREATE DATABASE base_build"
# $1: mode on|off|base. Each has its own session, spool and database.
fleetd_db() { case $1 in off) echo "${PG%/*}/readings_only" ;; base) echo "${PG%/*}/base_build" ;; *) echo "$PG" ;; esac; }
fleetd_of() { [ "$1" = base ] && echo "$FLEETD_BASE_BIN" || echo "$fleetd_bin"; }
fleetd_args() {
    local detection=on; [ "$1" = off ] && detection=off
    echo run --mqtt-url "mqtt://127.0.0.1:$MQ" --postgres-url "$(fleetd_db "$1")" --admin-addr "127.0.0.1:$admin" \
        --spool-path "$run_dir/fleetd-$1.spool" --client-id "bench-fleetd-$1" --detection "$detection" --log-level warning ${FLEETD_ARGS:-}
}
modes=(on off); [ -n "${FLEETD_BASE_BIN:-}" ] && modes+=(base)

# Create the persistent sessions, then leave.
for mode in "${modes[@]}"; do
    # shellcheck disable=SC2046
    "$(fleetd_of $mode)" $(fleetd_args $mode) 2>>"$run_dir/fleetd.log" & fleetd_pid=$!
    for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$admin/readyz" >/dev/null && break; sleep 0.2; done
    kill -TERM $fleetd_pid; wait $fleetd_pid || true; fleetd_pid=""
done
for id in bench-broker bench-naive; do
    mosquitto_sub -h 127.0.0.1 -p "$MQ" -q 1 -c -i "$id" "${topics[@]}" -W 1 >/dev/null 2>&1 || true
done
"$floor_bin" "$MQ" bench-floor 0 2>/dev/null
"$floor_bin" "$MQ" bench-floor-nagle 0 2>/dev/null

echo "publishing $N readings in $MESSAGES QoS $QOS messages (queued for each session)..." >&2
"$sim_bin" load --mqtt-url "mqtt://127.0.0.1:$MQ" --count "$N" --qos "$QOS" --vehicles 1000 --batch "$BATCH" >&2

declare -A rate user sys pgu pgs rss_anon rss_file rows
# $1 name, $2 command line: a client that exits after draining its backlog.
measure_client() {
    local p0 p1 t0 t1 cpu
    p0=$(pg_cpu); t0=$(now)
    cpu=$(timed "$2")
    t1=$(now); p1=$(pg_cpu)
    rate[$1]=$(echo "$t0 $t1" | awk -v n="$N" '{printf "%.0f", n/($2-$1)}')
    user[$1]=${cpu% *}; sys[$1]=${cpu#* }
    pgu[$1]=$(echo "$p0 $p1" | awk '{printf "%.3f", $3-$1}'); pgs[$1]=$(echo "$p0 $p1" | awk '{printf "%.3f", $4-$2}')
}
measure_client broker "mosquitto_sub -h 127.0.0.1 -p $MQ -q 1 -c -i bench-broker ${topics[*]} -C $MESSAGES >/dev/null"
measure_client floor "$floor_bin $MQ bench-floor $MESSAGES 2>/dev/null"
measure_client nagle "$floor_bin $MQ bench-floor-nagle $MESSAGES 0 2>/dev/null"
measure_client naive "mosquitto_sub -h 127.0.0.1 -p $MQ -q 1 -c -i bench-naive ${topics[*]} -C $MESSAGES | psql -X -q $PG -c '\\copy naive(payload) from stdin'"
rows[naive]=$(psql -X -At "$PG" -c "select count(*) from naive")

# $1: mode. fleetd drains its backlog; measured until every reading is committed.
measure_fleetd() {
    local p0 p1 t0 t1 cpu acc anon file peak_anon=0 peak_file=0 db; db=$(fleetd_db "$1")
    p0=$(pg_cpu); t0=$(now)
    # shellcheck disable=SC2046
    "$(fleetd_of "$1")" $(fleetd_args "$1") 2>>"$run_dir/fleetd.log" & fleetd_pid=$!
    local perf_pid=""
    if [ -n "${PERF_OUT:-}" ] && [ "$1" = on ]; then
        perf record -a -F "${PERF_FREQ:-999}" -g -o "$PERF_OUT" >/dev/null 2>&1 & perf_pid=$!
    fi
    for _ in $(seq 1 6000); do
        acc=$(metric fleetd_readings_accepted_total); acc=${acc:-0}
        read -r anon file < <(awk '/RssAnon/ {a=$2} /RssFile/ {f=$2} END {print a+0, f+0}' /proc/$fleetd_pid/status 2>/dev/null || echo "0 0")
        [ "$anon" -gt "$peak_anon" ] && peak_anon=$anon
        [ "$file" -gt "$peak_file" ] && peak_file=$file
        [ "${acc%.*}" -ge "$N" ] && break
        sleep 0.1
    done
    t1=$(now); p1=$(pg_cpu)
    cpu=$(proc_cpu $fleetd_pid)
    if [ -n "$perf_pid" ]; then kill -INT $perf_pid; wait $perf_pid || true; fi
    kill -TERM $fleetd_pid; wait $fleetd_pid || true; fleetd_pid=""
    rate[$1]=$(echo "$t0 $t1" | awk -v n="$N" '{printf "%.0f", n/($2-$1)}')
    user[$1]=${cpu% *}; sys[$1]=${cpu#* }
    pgu[$1]=$(echo "$p0 $p1" | awk '{printf "%.3f", $3-$1}'); pgs[$1]=$(echo "$p0 $p1" | awk '{printf "%.3f", $4-$2}')
    rss_anon[$1]=$((peak_anon / 1024)); rss_file[$1]=$((peak_file / 1024))
    rows[$1]=$(psql -X -At "$db" -c "select count(*) from readings")
}
for mode in "${modes[@]}"; do measure_fleetd "$mode"; done

us() { awk -v s="$1" -v n="$N" 'BEGIN {printf "%.2f", s / n * 1e6}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}'; }
label() {
    case $1 in
        broker) echo "mosquitto_sub -q 1 > /dev/null" ;;
        floor) echo "C subscriber on libmosquitto (floor)" ;;
        nagle) echo "the same, acks without TCP_NODELAY" ;;
        naive) echo "naive: mosquitto_sub | psql \\copy" ;;
        on) echo "fleetd, detectors on" ;;
        off) echo "fleetd --detection off" ;;
        base) echo "fleetd base build, detectors on" ;;
    esac
}
printf '\n%d readings in %d QoS %s messages, drained from a queued backlog; CPU µs per reading\n' "$N" "$MESSAGES" "$QOS"
printf '%-38s %10s %8s %8s %7s %7s %7s %7s %9s\n' consumer readings/s "vs naive" "vs floor" user sys "total" "PG" "RSS a+f"
json="{\"readings\":$N,\"messages\":$MESSAGES,\"qos\":$QOS"
for k in broker floor nagle naive "${modes[@]}"; do
    total=$(awk -v u="${user[$k]}" -v s="${sys[$k]}" 'BEGIN {print u + s}')
    pg=$(awk -v u="${pgu[$k]}" -v s="${pgs[$k]}" 'BEGIN {print u + s}')
    mem="-"; [ -n "${rss_anon[$k]:-}" ] && mem="${rss_anon[$k]}+${rss_file[$k]}"
    printf '%-38s %10s %8s %8s %7s %7s %7s %7s %9s\n' "$(label $k)" "${rate[$k]}" "$(ratio "${rate[$k]}" "${rate[naive]}")" \
        "$(ratio "${rate[$k]}" "${rate[floor]}")" "$(us "${user[$k]}")" "$(us "${sys[$k]}")" "$(us "$total")" "$(us "$pg")" "$mem"
    json+=",\"$k\":{\"rate\":${rate[$k]},\"user_us\":$(us "${user[$k]}"),\"sys_us\":$(us "${sys[$k]}"),\"pg_us\":$(us "$pg")"
    [ -n "${rss_anon[$k]:-}" ] && json+=",\"rss_anon_mib\":${rss_anon[$k]},\"rss_file_mib\":${rss_file[$k]},\"rows\":${rows[$k]}"
    json+="}"
done
json+="}"
echo "fleetd CPU over mosquitto_sub's: $(ratio "$(awk -v u="${user[on]}" -v s="${sys[on]}" 'BEGIN {print u + s}')" "$(awk -v u="${user[broker]}" -v s="${sys[broker]}" 'BEGIN {print u + s}')")x (detectors on); RSS in MiB, anonymous + file-backed (the spool's touched pages), peak"
echo "rows: naive ${rows[naive]}, fleetd ${rows[on]} / readings-only ${rows[off]}"
echo "$json"
[ -n "${BENCH_JSON:-}" ] && echo "$json" >"$BENCH_JSON"
exit 0
