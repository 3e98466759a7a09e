#!/usr/bin/env bash
# Sink drains: each sink module's <Type>DrainBench (dev.sluice.testkit.conformance.SinkDrainBenchmark) against the
# peer of its conformance suite, one module after another, then a table of the figures.
#   sluice-bench/run sinks [--messages N] [--runs R] [--lanes L] [--batch-size B] [--padding P] [--only t1,t2]
# --only takes module suffixes (webhook, kafka, sqs, kinesis, redis, postgres, ...); default: every sink module with
# a DrainBench. The table goes to stdout and sluice-bench/target/sink-drains.md; each module's figures to
# sinks/<module>/target/sink-drain/<type>.json.
set -euo pipefail
BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$BENCH")"
props=()
only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --messages) props+=("-Dsluice.drain.messages=$2"); shift 2 ;;
    --runs) props+=("-Dsluice.drain.runs=$2"); shift 2 ;;
    --lanes) props+=("-Dsluice.drain.lanes=$2"); shift 2 ;;
    --batch-size) props+=("-Dsluice.drain.batchSize=$2"); shift 2 ;;
    --padding) props+=("-Dsluice.drain.padding=$2"); shift 2 ;;
    --only) only="$2"; shift 2 ;;
    -h|--help) sed -n 2,8p "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "sink-drains: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

modules=()
for dir in "$ROOT"/sinks/sluice-sink-*; do
  name="${dir##*/sluice-sink-}"
  if [ -n "$only" ] && [[ ",$only," != *",$name,"* ]]; then continue; fi
  if find "$dir/src/test" -name '*DrainBench.java' -print -quit 2>/dev/null | grep -q .; then
    modules+=("sinks/sluice-sink-$name")
    rm -rf "$dir/target/sink-drain"
  fi
done
if [ "${#modules[@]}" -eq 0 ]; then
  echo "sink-drains: no sink module with a DrainBench matches '${only}'" >&2
  exit 2
fi
list="$(IFS=,; echo "${modules[*]}")"
echo "Sink drains: ${modules[*]}" >&2
(cd "$ROOT" && ./mvnw -B -q -pl "$list" -am verify -Dspotless.check.skip=true -Dit.forkCount=1 \
   -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false -Dit.failIfNoSpecifiedTests=false \
   -Dit.test='*DrainBench' "${props[@]}")

mkdir -p "$BENCH/target"
out="$BENCH/target/sink-drains.md"
{
  echo "| sink | messages/s (median) | MiB/s | runs (messages/s) | batch size | lanes | bytes/message | messages per run |"
  echo "|---|---:|---:|---|---:|---:|---:|---:|"
  for f in "$ROOT"/sinks/*/target/sink-drain/*.json; do
    [ -f "$f" ] || continue
    j="$(cat "$f")"
    field() { printf '%s' "$j" | sed -E "s/.*\"$1\":(\"[^\"]*\"|\[[^]]*\]|[0-9.]+).*/\1/" | tr -d '"'; }
    echo "| $(field type) | $(field median_messages_per_second) | $(field median_mib_per_second) | $(field runs_messages_per_second) | $(field batch_size) | $(field lanes) | $(field message_bytes) | $(field messages) |"
  done
} | tee "$out"
