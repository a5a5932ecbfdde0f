#!/usr/bin/env bash
# Runs the cargo-fuzz targets for a while each and reports executions per second.
#
# Usage: fuzz/run.sh [SECONDS] [TARGET...]
#   SECONDS  how long libFuzzer runs each target (default 30; build time not included)
#   TARGET   targets to run (default: every target `cargo fuzz list` names)
#
# Environment:
#   FUZZ_JOBS       how many targets fuzz at once (default: the number of cores); each still runs SECONDS
#   FUZZ_TOOLCHAIN  rustup toolchain to build with, e.g. `nightly` (default: the current one)
#   FUZZ_SANITIZER  cargo-fuzz sanitizer (default `none`, which works on stable; `address` needs nightly)
#   FUZZ_SEED       libFuzzer's random seed, a positive number (default: libFuzzer draws one per run). With a
#                   seed every target makes the same mutations of the same corpus in the same order, so a run
#                   explores what another run with that seed explored in the same time (CI sets it)
#
# Every target is built once first (`cargo fuzz build -O --debug-assertions`, the flags of
# .clusterfuzzlite/build.sh, so the library's debug assertions and overflow checks are on). Each target starts
# from a scratch copy of its committed seeds (fuzz/corpus/<target>/ plus fuzz/regressions/<target>/) in
# fuzz/target/corpus-<target>/, so the committed corpus is never modified. Crash inputs land in
# fuzz/artifacts/<target>/. Logs are in fuzz/target/fuzz-<target>.log.
# Exits non-zero, naming the targets and artifacts, if any target crashed.
set -euo pipefail

usage() {
    sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'
}

fuzz_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$fuzz_dir")"
cd "$root"

seconds=30
if [[ $# -gt 0 ]]; then
    case "$1" in
        -h | --help)
            usage
            exit 0
            ;;
    esac
    if [[ "$1" =~ ^[0-9]+$ ]]; then
        seconds="$1"
        shift
    fi
fi
if [[ "$seconds" -lt 1 ]]; then
    echo "run.sh: SECONDS must be at least 1" >&2
    exit 2
fi
jobs="${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}"
if ! [[ "$jobs" =~ ^[0-9]+$ ]] || [[ "$jobs" -lt 1 ]]; then
    echo "run.sh: FUZZ_JOBS must be a positive number, got '$jobs'" >&2
    exit 2
fi

toolchain=()
if [[ -n "${FUZZ_TOOLCHAIN:-}" ]]; then
    toolchain=("+${FUZZ_TOOLCHAIN}")
fi
sanitizer="${FUZZ_SANITIZER:-none}"
build_flags=(-O --debug-assertions --sanitizer "$sanitizer")
seed="${FUZZ_SEED:-}"
if [[ -n "$seed" ]] && { ! [[ "$seed" =~ ^[0-9]+$ ]] || [[ "$seed" -lt 1 ]]; }; then
    echo "run.sh: FUZZ_SEED must be a positive number (libFuzzer reads 0 as 'draw one'), got '$seed'" >&2
    exit 2
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "run.sh: cargo-fuzz not found; installing it (cargo install cargo-fuzz --locked)" >&2
    cargo install cargo-fuzz --locked
fi

mapfile -t known < <(cargo fuzz list)
if [[ ${#known[@]} -eq 0 ]]; then
    echo "run.sh: cargo fuzz list named no targets" >&2
    exit 2
fi
if [[ $# -gt 0 ]]; then
    targets=("$@")
else
    targets=("${known[@]}")
fi
for t in "${targets[@]}"; do
    if ! printf '%s\n' "${known[@]}" | grep -qxF -- "$t"; then
        echo "run.sh: unknown target '$t' (known: ${known[*]})" >&2
        exit 2
    fi
done

echo "=== building ${#targets[@]} target(s): cargo fuzz build ${build_flags[*]}" >&2
if [[ ${#targets[@]} -eq ${#known[@]} ]]; then
    cargo "${toolchain[@]}" fuzz build "${build_flags[@]}"
else
    for t in "${targets[@]}"; do
        cargo "${toolchain[@]}" fuzz build "${build_flags[@]}" "$t"
    done
fi

mkdir -p fuzz/target

# Fuzzes one target; writes its summary line to fuzz/target/result-<target>.
fuzz_one() {
    local t="$1"
    local scratch="fuzz/target/corpus-$t"
    local log="fuzz/target/fuzz-$t.log"
    local result="fuzz/target/result-$t"
    rm -rf "$scratch" "$result"
    mkdir -p "$scratch" "fuzz/artifacts/$t"
    if [[ -d "fuzz/corpus/$t" ]]; then
        cp -R "fuzz/corpus/$t/." "$scratch/"
    else
        echo "run.sh: warning: no seed corpus fuzz/corpus/$t; starting empty" >&2
    fi
    if [[ -d "fuzz/regressions/$t" ]]; then
        cp -R "fuzz/regressions/$t/." "$scratch/"
    fi
    local libfuzzer_args=("-max_total_time=$seconds" "-print_final_stats=1")
    if [[ -n "$seed" ]]; then
        libfuzzer_args+=("-seed=$seed")
    fi
    case "$t" in
        accord_* | chatalot_* | adapter) libfuzzer_args+=("-dict=$fuzz_dir/dict/json.dict") ;;
    esac
    echo "=== $t: ${seconds}s from $(find "$scratch" -type f | wc -l | tr -d ' ') seed(s); log $log" >&2
    local status=ok
    # cargo-fuzz keeps crash inputs in fuzz/artifacts/<target>/ by default.
    if ! cargo "${toolchain[@]}" fuzz run "${build_flags[@]}" "$t" "$scratch" -- "${libfuzzer_args[@]}" \
        >"$log" 2>&1; then
        status=CRASHED
    fi
    local execs rate cov corpus artifact
    execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)"
    rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)"
    cov="$(grep -oE 'cov: [0-9]+' "$log" | tail -n 1 | sed 's/cov: //' || true)"
    corpus="$(find "$scratch" -type f | wc -l | tr -d ' ')"
    artifact=""
    if [[ "$status" != ok ]]; then
        artifact="$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)"
        echo "=== $t CRASHED; the end of $log:" >&2
        tail -n 40 "$log" >&2
    fi
    printf '%-24s %8s %12s %10s %6s %7s\t%s\n' "$t" "$status" "${execs:-?}" "${rate:-?}" "${cov:-?}" \
        "$corpus" "${artifact:-see $log}" >"$result"
}

running=0
for t in "${targets[@]}"; do
    if [[ "$running" -ge "$jobs" ]]; then
        wait -n || true
        running=$((running - 1))
    fi
    fuzz_one "$t" &
    running=$((running + 1))
done
wait

summary=()
failed=()
for t in "${targets[@]}"; do
    result="fuzz/target/result-$t"
    if [[ ! -f "$result" ]]; then
        failed+=("$t: run.sh did not finish it; see fuzz/target/fuzz-$t.log")
        continue
    fi
    line="$(cut -f1 "$result")"
    summary+=("$line")
    if [[ "$(awk '{print $2}' <<<"$line")" != ok ]]; then
        failed+=("$t: $(cut -f2 "$result")")
    fi
done

echo
echo "Fuzzed ${seconds}s per target, $jobs at a time (sanitizer: $sanitizer, debug assertions on, seed: ${seed:-drawn by libFuzzer}):"
printf '%-24s %8s %12s %10s %6s %7s\n' target status executions exec/s cov corpus
printf '%s\n' "${summary[@]}"

if [[ ${#failed[@]} -gt 0 ]]; then
    echo
    echo "run.sh: ${#failed[@]} target(s) crashed:" >&2
    printf '  %s\n' "${failed[@]}" >&2
    echo "Minimise with: cargo fuzz tmin --sanitizer none <target> <artifact>; then see fuzz/README.md" >&2
    exit 1
fi
