#!/usr/bin/env bash
# Runs the cargo-fuzz targets for a while each and reports executions per second.
#
# Usage: fuzz/run.sh [SECONDS] [TARGET...]
#   SECONDS  how long libFuzzer runs each target (default 30; build time not included)
#   TARGET   targets to run (default: every target `cargo fuzz list` names)
#
# Environment:
#   FUZZ_TOOLCHAIN  rustup toolchain to build with, e.g. `nightly` (default: the current one)
#   FUZZ_SANITIZER  cargo-fuzz sanitizer (default `none`, which works on stable; `address` needs nightly)
#
# Each target starts from a scratch copy of its committed seeds (fuzz/corpus/<target>/ plus
# fuzz/regressions/<target>/) in fuzz/target/corpus-<target>/, so the committed corpus is never modified.
# Crash inputs land in fuzz/artifacts/<target>/. Logs are in fuzz/target/fuzz-<target>.log.
# Exits non-zero, naming the targets and artifacts, if any target crashed.
set -euo pipefail

usage() {
    sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
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

toolchain=()
if [[ -n "${FUZZ_TOOLCHAIN:-}" ]]; then
    toolchain=("+${FUZZ_TOOLCHAIN}")
fi
sanitizer="${FUZZ_SANITIZER:-none}"

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

mkdir -p fuzz/target
summary=()
failed=()
for t in "${targets[@]}"; do
    scratch="fuzz/target/corpus-$t"
    artifacts="fuzz/artifacts/$t"
    log="fuzz/target/fuzz-$t.log"
    rm -rf "$scratch"
    mkdir -p "$scratch" "$artifacts"
    if [[ -d "fuzz/corpus/$t" ]]; then
        cp -R "fuzz/corpus/$t/." "$scratch/"
    else
        echo "run.sh: warning: no seed corpus fuzz/corpus/$t; starting empty" >&2
    fi
    if [[ -d "fuzz/regressions/$t" ]]; then
        cp -R "fuzz/regressions/$t/." "$scratch/"
    fi

    libfuzzer_args=("-max_total_time=$seconds" "-print_final_stats=1")
    case "$t" in
        accord_* | chatalot_*) libfuzzer_args+=("-dict=$fuzz_dir/dict/json.dict") ;;
    esac

    echo "=== $t: ${seconds}s from $(find "$scratch" -type f | wc -l | tr -d ' ') seed(s) ===" >&2
    # cargo-fuzz keeps crash inputs in fuzz/artifacts/<target>/ by default.
    if cargo "${toolchain[@]}" fuzz run --sanitizer "$sanitizer" "$t" "$scratch" -- "${libfuzzer_args[@]}" \
        2>&1 | tee "$log"; then
        status=ok
    else
        status=CRASHED
    fi

    execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)"
    rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)"
    cov="$(grep -oE 'cov: [0-9]+' "$log" | tail -n 1 | sed 's/cov: //' || true)"
    corpus="$(find "$scratch" -type f | wc -l | tr -d ' ')"
    summary+=("$(printf '%-24s %8s %12s %10s %6s %7s' "$t" "$status" "${execs:-?}" "${rate:-?}" "${cov:-?}" "$corpus")")
    if [[ "$status" != ok ]]; then
        artifact="$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)"
        failed+=("$t: ${artifact:-no artifact written; see $log}")
    fi
done

echo
echo "Fuzzed ${seconds}s per target (sanitizer: $sanitizer):"
printf '%-24s %8s %12s %10s %6s %7s\n' target status executions exec/s cov corpus
printf '%s\n' "${summary[@]}"

if [[ ${#failed[@]} -gt 0 ]]; then
    echo
    echo "run.sh: ${#failed[@]} target(s) crashed:" >&2
    printf '  %s\n' "${failed[@]}" >&2
    echo "Minimise with: cargo fuzz tmin <target> <artifact>; then see fuzz/README.md" >&2
    exit 1
fi
