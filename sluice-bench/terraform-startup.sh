#!/usr/bin/env bash
# Start-up of Sluice's Terraform provider to its handshake line, as Terraform starts it: the installed launcher (from
# ./sluice terraform install), run N times; prints each run's milliseconds and the median. With --no-cds, the same
# JVM options without the class-data sharing archive, for comparison.
#   sluice-bench/terraform-startup.sh LAUNCHER [--runs N] [--no-cds]
set -euo pipefail
LAUNCHER="${1:?usage: terraform-startup.sh LAUNCHER [--runs N] [--no-cds]}"
shift
RUNS=10
NO_CDS=0
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS="$2"; shift ;;
    --no-cds) NO_CDS=1 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
CMD="$LAUNCHER"
if [ "$NO_CDS" = 1 ]; then
  CMD="$(mktemp)"
  sed 's/ -XX:SharedArchiveFile=[^ ]*//; s/ -XX:AOTCache=[^ ]*//; s/-Xshare:auto//; s/-XX:-UsePerfData/-XX:-UsePerfData -Xshare:off/' "$LAUNCHER" > "$CMD"
  chmod +x "$CMD"
fi
export TF_PLUGIN_MAGIC_COOKIE=d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2
export PLUGIN_PROTOCOL_VERSIONS=6
# Terraform always asks for mutual TLS with a P-521 client certificate: the provider's start includes its own.
PLUGIN_CLIENT_CERT="$(openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-521 -nodes -subj /CN=localhost \
  -keyout /dev/null -days 1 2>/dev/null)"
export PLUGIN_CLIENT_CERT
times=()
for _ in $(seq "$RUNS"); do
  start=$(date +%s%N)
  coproc P { exec "$CMD" 2>/dev/null; }
  read -r line <&"${P[0]}"
  end=$(date +%s%N)
  kill "$P_PID" 2>/dev/null || true
  wait "$P_PID" 2>/dev/null || true
  case "$line" in 1\|6\|tcp\|*) ;; *) echo "not a handshake: $line" >&2; exit 1 ;; esac
  times+=($(( (end - start) / 1000000 )))
done
printf '%s\n' "${times[@]}" | sort -n | tr '\n' ' '
echo
printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print "median_ms=" a[int((NR+1)/2)]}'
