#!/usr/bin/env bash
# A sync job's apply lag under a steady live load (issue 18: p99 < 1 s at 5,000 changes/s): one installed Postgres
# (Debian's postgresql package, or --pg-bin DIR) holds source, target and Sluice's metadata; the packaged server
# (sluice-server/target/sluice.jar) runs the sync. See SyncLagBench's Javadoc for what is measured.
#
#   sluice-bench/sync-lag.sh [--rate 5000] [--seconds 30] [--pg-bin DIR]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
. "$ROOT/bin/find-jdk.sh"
JAVA_HOME="$(find_jdk)"
export JAVA_HOME
./mvnw -q -B -DskipTests -Dspotless.check.skip=true -pl sluice-bench -am package >&2
CP="$(cat sluice-bench/target/classpath.txt)"
exec "$JAVA_HOME/bin/java" -cp "sluice-bench/target/classes:$CP" dev.sluice.bench.e2e.SyncLagBench "$@"
