#!/usr/bin/env bash
# How the simulator's cost grows: runs one scenario (the one of benches/benches/sim.rs: reference/hardened,
# on-removal, 20–400 ms latency with reordering, 1 % drops, 1 % duplicates, a curious server, a full compromise
# of m6 at 30 % and the removal of m3 at 50 % of a 10-minute active phase) at several sizes and prints one
# markdown row per run, from the `performance` section of `sksim run`'s JSON report.
#
#   benches/scale.sh members  [MESSAGES]        group sizes 125, 250, 500, 1000 with MESSAGES in total (2000)
#   benches/scale.sh messages [MEMBERS]         2500, 5000, 10000, 20000 messages in total, MEMBERS members (200)
#   benches/scale.sh one MEMBERS MESSAGES [FLAGS]      a single run; FLAGS go to `sksim run`
#                                                      (--no-memo, --impl accord, ...)
#
# "time ×" is each run's wall time over the previous row's: linear cost means it tracks "deliveries ×".
# Build first: cargo build --release -p sksim. Runs one at a time; keep the machine otherwise idle.
set -euo pipefail
cd "$(dirname "$0")/.."
SKSIM=${SKSIM:-target/release/sksim}
[ -x "$SKSIM" ] || { echo "scale.sh: $SKSIM not found; run: cargo build --release -p sksim" >&2; exit 2; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# scenario MEMBERS MESSAGES: the file, with the per-member rate that sends MESSAGES in 10 minutes.
scenario() {
    local members=$1 messages=$2
    local rate=$((messages * 6 / members))
    if [ "$rate" -lt 1 ]; then
        echo "scale.sh: $messages messages among $members members is under one per member per hour" >&2
        exit 2
    fi
    cat > "$WORK/s.toml" <<EOF
name = "scale: $members members, $messages messages"
seed = 1
duration = "10m"
implementation = "reference/hardened"
policy = "on-removal"

[group]
members = $members

[workload]
messages_per_member_per_hour = $rate

[network]
latency = ["20ms", "400ms"]
drop = 0.01
duplicate = 0.01

[server]
behaviour = "curious"

[[event]]
at = "3m"
action = "compromise"
member = 6
scope = "full"

[[event]]
at = "5m"
action = "remove"
member = 3
EOF
}

PREVIOUS_TIME=""
PREVIOUS_DELIVERIES=""
# run MEMBERS MESSAGES [FLAGS]: one run, one row.
run() {
    local members=$1 messages=$2
    shift 2
    scenario "$members" "$messages"
    # Exit statuses 1, 4, 5 and 6 only say the scenario's expectations were not met — a model violating what it is
    # known to violate (`--impl accord`); 2 (bad input) and 3 (the harness) are failures.
    local status=0
    "$SKSIM" run "$WORK/s.toml" --format json "$@" > "$WORK/r.json" 2> "$WORK/err.txt" || status=$?
    if [ "$status" -eq 2 ] || [ "$status" -eq 3 ]; then
        echo "scale.sh: the run of $members members failed (exit status $status):" >&2
        cat "$WORK/err.txt" >&2
        exit 1
    fi
    python3 - "$WORK/r.json" "$members" "$messages" "$PREVIOUS_TIME" "$PREVIOUS_DELIVERIES" <<'PY' > "$WORK/row.txt"
import json, sys
report = json.load(open(sys.argv[1]))
members, messages, previous_time, previous_deliveries = sys.argv[2:6]
p, m = report["performance"], report["metrics"]
seconds = p["wall_time_us"] / 1e6
ratio = lambda now, before: f"{now / float(before):.2f}" if before else "–"
peak = f"{p['peak_memory_bytes'] / 1e6:,.0f}" if p.get("peak_memory_bytes") else "?"
print(f"| {int(members):,} | {messages} ({m['envelopes_sent']:,} sent) | {m['deliveries']:,} | "
      f"{m['distribution_messages']:,} | {seconds:.2f} | {p['deliveries_per_second']:,} | {peak} | "
      f"{ratio(m['deliveries'], previous_deliveries)} | {ratio(seconds, previous_time)} | "
      f"{'on' if p['memo'] else 'off'} |")
print(seconds, m["deliveries"])
PY
    head -1 "$WORK/row.txt"
    read -r PREVIOUS_TIME PREVIOUS_DELIVERIES < <(tail -1 "$WORK/row.txt")
}

echo "| members | messages | deliveries | distributions | wall s | deliveries/s | peak MB | deliveries × | time × | memo |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
case "${1:-}" in
    members)
        for members in 125 250 500 1000; do run "$members" "${2:-2000}"; done ;;
    messages)
        for messages in 2500 5000 10000 20000; do run "${2:-200}" "$messages"; done ;;
    one)
        [ $# -ge 3 ] || { echo "usage: scale.sh one MEMBERS MESSAGES [--no-memo]" >&2; exit 2; }
        run "$2" "$3" "${@:4}" ;;
    *)
        echo "usage: scale.sh members [MESSAGES] | messages [MEMBERS] | one MEMBERS MESSAGES [--no-memo]" >&2
        exit 2 ;;
esac
