#!/usr/bin/env bash
# fleetd import-purchases on a large card export, against PostgreSQL's own \copy of the same file
# into a plain table (the floor: no checks, no conflict handling) in the same run.
# Usage: sensors-sim/bench/purchases.sh [LINES]   (default 1000000; FLEETD_BIN and FLEET_SIM_BIN skip the build)
set -euo pipefail
cd "$(dirname "$0")/../.."
LINES=${1:-1000000}
. sensors-sim/bench/common.sh
PG=$STACK_PG_URL
csv="$run_dir/purchases.csv"
# A ;-separated export with decimal commas, a date and a time column, 2% bad lines.
python3 - "$LINES" "$csv" <<'PY'
import random, sys
n, path = int(sys.argv[1]), sys.argv[2]
r = random.Random(16)
with open(path, "w") as f:
    f.write("Transaction ID;Card Number;Vehicle;Date;Time;Quantity;Amount;Currency;Station;Latitude;Longitude\n")
    for i in range(n):
        v = "v%05d" % r.randrange(5000)
        day, h, m = r.randrange(1, 29), r.randrange(24), r.randrange(60)
        litres = r.uniform(20, 600)
        bad = r.random() < 0.02
        qty = ("%.2f" % litres).replace(".", ",") if not bad else "n/a"
        f.write("TX%08d;C%05d;%s;%02d.11.2026;%02d:%02d;%s;%s;EUR;Station %d;%s;%s\n" % (
            i, r.randrange(5000), v, day, h, m, qty, ("%.2f" % (litres * 1.7)).replace(".", ","),
            r.randrange(900), ("%.5f" % r.uniform(47, 55)).replace(".", ","), ("%.5f" % r.uniform(6, 15)).replace(".", ",")))
PY
size=$(du -h "$csv" | cut -f1)
"$fleetd_bin" migrate --postgres-url "$PG" >/dev/null 2>&1
t0=$(date +%s.%N)
psql -X -q "$PG" -c "CREATE TABLE floor_copy (a text, b text, c text, d text, e text, f text, g text, h text, i text, j text, k text)" \
     -c "\\copy floor_copy FROM '$csv' WITH (FORMAT csv, HEADER true, DELIMITER ';')"
t1=$(date +%s.%N)
"$fleetd_bin" import-purchases "$csv" --postgres-url "$PG" --time-zone Europe/Berlin 2>/dev/null | tail -1 || true
t2=$(date +%s.%N)
"$fleetd_bin" import-purchases "$csv" --postgres-url "$PG" --time-zone Europe/Berlin 2>/dev/null | tail -1 || true
t3=$(date +%s.%N)
awk -v n="$LINES" -v s="$size" -v t0="$t0" -v t1="$t1" -v t2="$t2" -v t3="$t3" 'BEGIN {
    f = t1 - t0; a = t2 - t1; b = t3 - t2
    printf "%d lines (%s): psql \\copy into a plain table %.1f s (%.0f lines/s); fleetd import-purchases %.1f s (%.0f lines/s, %.1fx the floor); the same file again %.1f s\n", n, s, f, n / f, a, n / a, a / f, b
}'
