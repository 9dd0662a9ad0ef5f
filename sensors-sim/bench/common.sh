# Sourced by the benchmarks: a private stack (mosquitto + PostgreSQL on free loopback ports, stopped
# on exit), the binaries (FLEETD_BIN and FLEET_SIM_BIN, or a release build), a free admin port, and
# metric NAME to read one sample of fleetd's /metrics. A fleetd started into $fleetd_pid is killed on exit.
bash deploy/install-deps.sh
. deploy/local/stack.sh
if [ -z "${FLEETD_BIN:-}" ] || [ -z "${FLEET_SIM_BIN:-}" ]; then
    swift build -c release --product fleetd >/dev/null
    swift build -c release --product fleet-sim >/dev/null
    bin=$(swift build -c release --show-bin-path)
fi
fleetd_bin=${FLEETD_BIN:-$bin/fleetd}
sim_bin=${FLEET_SIM_BIN:-$bin/fleet-sim}

run_dir="$PWD/.run/bench-$$"
mkdir -p "$run_dir"; chmod 755 "$PWD/.run" "$run_dir"
fleetd_pid=""
cleanup() { [ -n "$fleetd_pid" ] && kill "$fleetd_pid" 2>/dev/null; stack_stop "$run_dir"; rm -rf "$run_dir"; }
trap cleanup EXIT
stack_start "$run_dir" >/dev/null
admin=$(stack_free_port)
metric() { { curl -s "http://127.0.0.1:$admin/metrics" || true; } | awk -v m="$1" '$1==m {print $2}'; }
