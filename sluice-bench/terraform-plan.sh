#!/usr/bin/env bash
# `terraform plan` and `terraform apply` of a 10-resource configuration (a database, two HTTP endpoints, two
# functions, four sinks, a backfill) with the provider as ./sluice terraform install leaves it, and with the same
# launcher minus the class-data sharing archive. Prints the median of RUNS timed runs of each command, A and B
# alternating so a drifting machine moves both alike.
#
#   sluice-bench/terraform-plan.sh --provider-dir DIR --pg-host H --pg-port P --pg-db D --pg-user U [--runs N]
#
# Expects SLUICE_ENDPOINT / SLUICE_API_KEY of a running Sluice (./sluice start) and a Postgres with wal_level=logical
# that it can reach; the script creates its tables, publications and slots there and drops them at the end. DIR is
# the installed provider (…/registry.terraform.io/sluice/sluice/<version>/<os>_<arch>).
set -euo pipefail
RUNS=7
while [ $# -gt 0 ]; do
  case "$1" in
    --provider-dir) PROVIDER_DIR="$2"; shift ;;
    --pg-host) PG_HOST="$2"; shift ;;
    --pg-port) PG_PORT="$2"; shift ;;
    --pg-db) PG_DB="$2"; shift ;;
    --pg-user) PG_USER="$2"; shift ;;
    --runs) RUNS="$2"; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
: "${PROVIDER_DIR:?--provider-dir}" "${PG_HOST:?--pg-host}" "${PG_PORT:?--pg-port}" "${PG_DB:?--pg-db}"
: "${PG_USER:?--pg-user}" "${SLUICE_ENDPOINT:?}" "${SLUICE_API_KEY:?}"
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d "$PG_DB")

WORK="$(mktemp -d)"
VERSION="$(basename "$(dirname "$PROVIDER_DIR")")"
PLATFORM="$(basename "$PROVIDER_DIR")"

# Two mirrors: "aot" is the installed provider as is, "plain" the same files with a launcher that names no archive.
for variant in aot plain; do
  mirror="$WORK/mirror-$variant/registry.terraform.io/sluice/sluice/$VERSION/$PLATFORM"
  mkdir -p "$(dirname "$mirror")"
  cp -r "$PROVIDER_DIR" "$mirror"
  if [ "$variant" = plain ]; then
    sed -i 's/ -XX:SharedArchiveFile=[^ ]*//; s/ -XX:AOTCache=[^ ]*//; s/-Xshare:auto//' "$mirror"/terraform-provider-sluice_v*
    rm -f "$mirror"/provider.aot "$mirror"/provider.jsa
  fi
  cat > "$WORK/cli-$variant.tfrc" <<EOF
provider_installation {
  filesystem_mirror {
    path    = "$WORK/mirror-$variant"
    include = ["sluice/sluice"]
  }
}
EOF
done

"${PSQL[@]}" <<'SQL'
CREATE TABLE IF NOT EXISTS tfbench_orders (id bigserial PRIMARY KEY, customer text, total numeric);
CREATE TABLE IF NOT EXISTS tfbench_events (id bigserial PRIMARY KEY, kind text, body jsonb);
SQL
for variant in aot plain; do
  "${PSQL[@]}" -c "CREATE PUBLICATION tfbench_$variant FOR TABLE tfbench_orders, tfbench_events" \
    -c "SELECT pg_create_logical_replication_slot('tfbench_$variant', 'pgoutput')" >/dev/null
  dir="$WORK/$variant"
  mkdir -p "$dir"
  cat > "$dir/main.tf" <<EOF
terraform {
  required_providers {
    sluice = { source = "sluice/sluice" }
  }
}
provider "sluice" {}
variable "run" {
  type    = string
  default = "0"
}
resource "sluice_database" "db" {
  name              = "tfbench-$variant"
  hostname          = "$PG_HOST"
  port              = $PG_PORT
  database          = "$PG_DB"
  username          = "$PG_USER"
  ssl               = false
  replication_slots = [{ publication_name = "tfbench_$variant", slot_name = "tfbench_$variant" }]
}
resource "sluice_http_endpoint" "a" {
  name    = "tfbench-$variant-a"
  url     = "http://127.0.0.1:9"
  headers = { "x-run" = var.run }
}
resource "sluice_http_endpoint" "b" {
  name              = "tfbench-$variant-b"
  url               = "http://127.0.0.1:9"
  encrypted_headers = { authorization = "Bearer bench" }
}
resource "sluice_function" "filter" {
  name     = "tfbench-$variant-filter"
  type     = "filter"
  code     = "function filter(action, record, changes, metadata) { return record.total > 10 }"
}
resource "sluice_function" "transform" {
  name     = "tfbench-$variant-transform"
  type     = "transform"
  code     = "function transform(action, record, changes, metadata) { return record }"
}
resource "sluice_sink_consumer" "orders" {
  name        = "tfbench-$variant-orders"
  database    = sluice_database.db.name
  tables      = [{ name = "public.tfbench_orders" }]
  filter      = sluice_function.filter.name
  transform   = sluice_function.transform.name
  destination = { type = "webhook", http_endpoint = sluice_http_endpoint.a.name }
}
resource "sluice_sink_consumer" "events" {
  name        = "tfbench-$variant-events"
  database    = sluice_database.db.name
  tables      = [{ name = "public.tfbench_events" }]
  destination = { type = "webhook", http_endpoint = sluice_http_endpoint.b.name, batch = true }
}
resource "sluice_sink_consumer" "pull" {
  name        = "tfbench-$variant-pull"
  database    = sluice_database.db.name
  source { include_tables = ["public.tfbench_orders", "public.tfbench_events"] }
  destination = { type = "sequin_stream" }
}
resource "sluice_sink_consumer" "audit" {
  name            = "tfbench-$variant-audit"
  database        = sluice_database.db.name
  tables          = [{ name = "public.tfbench_orders" }]
  max_retry_count = 5
  destination     = { type = "sequin_stream" }
}
resource "sluice_backfill" "orders" {
  sink_consumer = sluice_sink_consumer.pull.name
  table         = "public.tfbench_orders"
}
EOF
  (cd "$dir" && TF_CLI_CONFIG_FILE="$WORK/cli-$variant.tfrc" terraform init -input=false >/dev/null \
    && terraform apply -input=false -auto-approve >/dev/null)
done

cleanup() {
  for variant in aot plain; do
    (cd "$WORK/$variant" && terraform destroy -input=false -auto-approve >/dev/null 2>&1) || true
    "${PSQL[@]}" -c "DROP PUBLICATION IF EXISTS tfbench_$variant" \
      -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = 'tfbench_$variant'" \
      >/dev/null 2>&1 || true
  done
  "${PSQL[@]}" -c "DROP TABLE IF EXISTS tfbench_orders, tfbench_events" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

ms() { local s e; s=$(date +%s%N); "$@" >/dev/null; e=$(date +%s%N); echo $(((e - s) / 1000000)); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# plan: refresh of all ten resources, no changes. apply: the same plus one in-place update (a header changes each run).
for cmd in plan apply; do
  : > "$WORK/$cmd-aot.ms"; : > "$WORK/$cmd-plain.ms"
  for i in $(seq "$RUNS"); do
    for variant in aot plain; do
      if [ "$cmd" = plan ]; then
        (cd "$WORK/$variant" && ms terraform plan -input=false -detailed-exitcode) >> "$WORK/$cmd-$variant.ms"
      else
        (cd "$WORK/$variant" && ms terraform apply -input=false -auto-approve -var "run=$variant-$i") \
          >> "$WORK/$cmd-$variant.ms"
      fi
    done
  done
  a="$(median < "$WORK/$cmd-aot.ms")"; b="$(median < "$WORK/$cmd-plain.ms")"
  echo "terraform $cmd: median ${a} ms with the archive, ${b} ms without ($(tr '\n' ' ' < "$WORK/$cmd-aot.ms")| $(tr '\n' ' ' < "$WORK/$cmd-plain.ms"))"
done
