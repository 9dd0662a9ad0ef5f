#!/usr/bin/env bash
# Fuzzes the two parsers that take bytes from outside with libFuzzer (swiftc -sanitize=fuzzer,address):
#   decoder  an MQTT message -> payload decoder -> binary COPY data of readings (DecoderToCopy.swift)
#   spool    the spool file's header check and frame reader (SpoolReader.swift)
# Each runs for SECONDS (default 60) from the seed corpus in Tests/Fuzz/corpus; new inputs and any
# crash go to .build/fuzz. Exits non-zero on a crash, a leak or a broken invariant, and prints how
# to reproduce it. Usage: Tests/Fuzz/run.sh [SECONDS] [decoder|spool]...
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(decoder spool)
out=.build/fuzz
mkdir -p "$out"
flags=(-O -sanitize=fuzzer,address -parse-as-library -swift-version 6)
# gold warns once per ASan helper symbol it cannot export: noise, not a finding.
quiet() { "$@" 2> >(grep -v "Cannot export local symbol" >&2); }

echo "== building fuzz targets (FleetCore and the parsers, instrumented)"
# FleetCore's one dependency, swift-numerics' RealModule, from SwiftPM's checkout (resolved if needed).
numerics=$(find .build -maxdepth 3 -type d -path '*/checkouts/swift-numerics' | head -1)
if [ -z "$numerics" ]; then swift package resolve >/dev/null; numerics=.build/checkouts/swift-numerics; fi
shims="$numerics/Sources/_NumericsShims/include"
swiftc "${flags[@]}" -module-name RealModule -I "$shims" -emit-module -emit-module-path "$out/RealModule.swiftmodule" \
    -emit-library -static -o "$out/libRealModule.a" "$numerics"/Sources/RealModule/*.swift
mapfile -t core < <(find Sources/FleetCore -name '*.swift' | sort)
swiftc "${flags[@]}" -module-name FleetCore -I "$out" -I "$shims" -emit-module -emit-module-path "$out/FleetCore.swiftmodule" \
    -emit-library -static -o "$out/libFleetCore.a" "${core[@]}"
quiet swiftc "${flags[@]}" -module-name FuzzDecoder -I "$out" -I "$shims" -L "$out" -lFleetCore -lRealModule -o "$out/fuzz-decoder" \
    Tests/Fuzz/DecoderToCopy.swift Sources/FleetIngest/Postgres/CopyBinaryEncoder.swift Sources/FleetIngest/Postgres/CopyBinaryEncoder+Readings.swift
quiet swiftc "${flags[@]}" -module-name FuzzSpool -o "$out/fuzz-spool" \
    Tests/Fuzz/SpoolReader.swift Sources/FleetIngest/Spool/SpoolRecord.swift Sources/FleetIngest/Spool/SpoolHeader.swift

status=0
for t in "${targets[@]}"; do
    work="$out/corpus-$t"
    mkdir -p "$work"
    echo "== fuzzing $t for ${seconds}s (seeds: Tests/Fuzz/corpus/$t)"
    log="$out/$t.log"
    if "$out/fuzz-$t" -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$out/crash-$t-" "$work" "Tests/Fuzz/corpus/$t" >"$log" 2>&1; then
        runs=$(awk '/stat::number_of_executed_units/ {print $2}' "$log")
        rate=$(awk '/stat::average_exec_per_sec/ {print $2}' "$log")
        echo "   ok: $runs executions ($rate/s), corpus $(find "$work" -type f | wc -l) inputs, no crash"
    else
        status=1
        echo "   FAILED; the last lines of $log:"
        tail -30 "$log" | sed 's/^/   | /'
        echo "   reproduce: $out/fuzz-$t $out/crash-$t-*"
    fi
done
exit $status
