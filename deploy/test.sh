#!/usr/bin/env bash
# The test command: installs what is missing, starts a private mosquitto and PostgreSQL on free
# loopback ports, builds, runs every test against them, and stops them again.
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/install-deps.sh
. deploy/local/stack.sh

run_dir="$PWD/.run/test-$$"
mkdir -p "$run_dir"
chmod 755 "$PWD/.run" "$run_dir"
cleanup() { stack_stop "$run_dir"; rm -rf "$run_dir"; }
trap cleanup EXIT

# Optimised, with @testable imports allowed: the scenario matrix runs ~20× faster than in a debug
# build (44 s against ~17 min), and the end-to-end tests run the fleetd that users run. A build
# folder of its own, so the benchmarks' plain release build is not rebuilt with other flags.
build=(swift build -c release --scratch-path .build/tests -Xswiftc -enable-testing)
echo "== building"
"${build[@]}" --build-tests 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\]' || { echo "build failed"; exit 1; }
bin=$("${build[@]}" --show-bin-path)

echo "== starting the test stack"
stack_start "$run_dir"
export FLEETD_TEST_PG_URL="$STACK_PG_URL"
export FLEETD_TEST_MQTT_PORT="$STACK_MQTT_PORT"
export FLEETD_TEST_MQTTS_PORT="$STACK_MQTTS_PORT"
export FLEETD_TEST_MQTT_CA="$STACK_MQTT_CA"
export FLEETD_TEST_STACK_DIR="$run_dir"
export FLEETD_BIN="$bin/fleetd"
export FLEET_SIM_BIN="$bin/fleet-sim"
echo "   postgres $STACK_PG_URL, mosquitto 127.0.0.1:$STACK_MQTT_PORT"

echo "== checking deploy/ (promtool, systemd-analyze, manifests, broker config)"
bash deploy/check.sh

echo "== testing"
swift test -c release --scratch-path .build/tests -Xswiftc -enable-testing --skip-build "$@"

# The parsers of outside bytes under libFuzzer, a minute each (FUZZ_SECONDS); not when a filter picks tests.
if [ $# -eq 0 ]; then
    echo "== fuzzing"
    bash Tests/Fuzz/run.sh "${FUZZ_SECONDS:-60}"
fi
