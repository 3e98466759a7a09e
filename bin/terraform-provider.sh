#!/usr/bin/env bash
# ./sluice terraform install: builds Sluice's Terraform provider and installs it into Terraform's implied local
# mirror, so that `source = "sluice/sluice"` resolves with a plain `terraform init`. Expects JAVA_HOME (a JDK >= 21,
# which the launcher then runs the provider with).
#
#   ./sluice terraform install [--skip-build] [--dir PLUGINS_DIR]
#
# PLUGINS_DIR defaults to $TF_PLUGINS_DIR, else ~/.terraform.d/plugins (one of the directories Terraform searches
# without any CLI configuration).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MODULE="$ROOT/terraform-provider-sluice"

usage() {
  echo "usage: ./sluice terraform install [--skip-build] [--dir PLUGINS_DIR]" >&2
  echo "  Builds the provider and installs it for Terraform as sluice/sluice (see docs/terraform.md)." >&2
}

[ "${1:-}" = "install" ] || { usage; exit 2; }
shift
BUILD=1
PLUGINS="${TF_PLUGINS_DIR:-$HOME/.terraform.d/plugins}"
while [ $# -gt 0 ]; do
  case "$1" in
    --skip-build) BUILD=0 ;;
    --dir) PLUGINS="$2"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "sluice terraform install: unknown option $1" >&2; usage; exit 2 ;;
  esac
  shift
done

JAVA="${JAVA_HOME:?JAVA_HOME must name a JDK 21 or newer}/bin/java"
# Terraform wants a plain semantic version: the build's, without -SNAPSHOT.
VERSION="$(sed -n 's:.*<version>\([0-9][0-9.]*\)\(-SNAPSHOT\)\{0,1\}</version>.*:\1:p' "$ROOT/pom.xml" | head -1)"
case "$(uname -s)" in Linux) OS=linux ;; Darwin) OS=darwin ;; *) OS="$(uname -s | tr 'A-Z' 'a-z')" ;; esac
case "$(uname -m)" in x86_64|amd64) ARCH=amd64 ;; aarch64|arm64) ARCH=arm64 ;; *) ARCH="$(uname -m)" ;; esac

if [ "$BUILD" = 1 ]; then
  echo "Building the Terraform provider..." >&2
  (cd "$ROOT" && ./mvnw -q -B -DskipTests -Dspotless.check.skip=true -pl terraform-provider-sluice -am package) >&2 \
    || { echo "sluice terraform install: build failed (see above)" >&2; exit 1; }
fi
JAR="$(ls "$MODULE"/target/terraform-provider-sluice-*.jar 2>/dev/null | grep -v -- '-tests.jar' | head -1 || true)"
[ -n "$JAR" ] && [ -d "$MODULE/target/provider-lib" ] \
  || { echo "sluice terraform install: no built provider in $MODULE/target; run without --skip-build" >&2; exit 1; }

DIR="$PLUGINS/registry.terraform.io/sluice/sluice/$VERSION/${OS}_${ARCH}"
rm -rf "$DIR"
mkdir -p "$DIR/lib"
cp "$JAR" "$DIR/lib/terraform-provider-sluice.jar"
cp "$MODULE"/target/provider-lib/*.jar "$DIR/lib/"
# An explicit class path, in a fixed order: the class-data sharing archive is valid only for the same one.
CP="$(cd "$DIR/lib" && ls *.jar | sort | sed "s:^:$DIR/lib/:" | paste -sd: -)"
JVM_OPTS="--enable-native-access=ALL-UNNAMED -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:-UsePerfData -Xss512k -Xms16m -Xmx256m"

# Class-data sharing: a training run walks the start-up path and archives the classes it loaded. JDK 25 and newer
# keep them loaded and linked too (an AOT cache, JEP 483/514); older JDKs get a dynamic CDS archive.
# shellcheck source=find-jdk.sh
. "$ROOT/bin/find-jdk.sh"
if [ "$(java_major "$JAVA_HOME")" -ge 25 ]; then
  TRAIN_OPT="-XX:AOTCacheOutput=$DIR/provider.aot"
  RUN_OPT="-XX:AOTCache='$DIR/provider.aot'"
else
  TRAIN_OPT="-XX:ArchiveClassesAtExit=$DIR/provider.jsa"
  RUN_OPT="-Xshare:auto -XX:SharedArchiveFile='$DIR/provider.jsa'"
fi
"$JAVA" $JVM_OPTS "$TRAIN_OPT" -Xlog:disable -Xlog:all=error:stderr \
  -cp "$CP" dev.sluice.terraform.plugin.PluginMain --cds-training >/dev/null 2>"$DIR/cds-training.log" \
  || { echo "sluice terraform install: the class-data sharing archive was not made (see $DIR/cds-training.log);" \
            "the provider works, but starts slower" >&2; RUN_OPT=""; }

LAUNCHER="$DIR/terraform-provider-sluice_v$VERSION"
cat > "$LAUNCHER" <<LAUNCH
#!/bin/sh
# Sluice's Terraform provider, installed by ./sluice terraform install. Terraform starts it; it speaks on stdout, so
# the JVM's own messages go to stderr. An archive that no longer matches the JVM is skipped.
exec '$JAVA' $JVM_OPTS $RUN_OPT -Xlog:disable -Xlog:all=warning:stderr \\
  -cp '$CP' dev.sluice.terraform.plugin.PluginMain "\$@"
LAUNCH
chmod +x "$LAUNCHER"

echo "Installed Sluice's Terraform provider $VERSION in $DIR" >&2
cat <<BLOCK
terraform {
  required_providers {
    sluice = {
      source  = "sluice/sluice"
      version = "$VERSION"
    }
  }
}
# A configuration written for Sequin's provider keeps its resource blocks: point its entry here instead, e.g.
#   sequin = { source = "sluice/sluice", version = "$VERSION" }
BLOCK
