# Sourced by ./sluice and .ci/run: find_jdk prints the home of a JDK >= $MIN_JAVA (default 21):
# JAVA_HOME when it qualifies, else the newest JDK found in the usual install locations.
MIN_JAVA="${MIN_JAVA:-21}"

java_major() { # prints the major version of the JDK at $1, or nothing
  local home="$1" v=""
  [ -x "$home/bin/java" ] || return 0
  if [ -f "$home/release" ]; then
    v=$(sed -n 's/^JAVA_VERSION="\([^"]*\)".*/\1/p' "$home/release")
  fi
  if [ -z "$v" ]; then
    v=$("$home/bin/java" -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -n 1)
  fi
  v="${v#1.}"
  echo "${v%%[.+-]*}"
}

is_jdk() { [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ]; }

find_jdk() {
  if [ -n "${JAVA_HOME:-}" ] && is_jdk "$JAVA_HOME"; then
    local m; m=$(java_major "$JAVA_HOME")
    if [ -n "$m" ] && [ "$m" -ge "$MIN_JAVA" ]; then echo "$JAVA_HOME"; return; fi
  fi
  local best="" best_major=0 candidate m
  local candidates=(/usr/lib/jvm/* /usr/java/* /opt/java/* /opt/jdk* "$HOME"/.sdkman/candidates/java/*
                    "$HOME"/.jdks/* /Library/Java/JavaVirtualMachines/*/Contents/Home)
  if command -v javac >/dev/null 2>&1; then
    candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")")
  fi
  for candidate in "${candidates[@]}"; do
    [ -d "$candidate" ] && is_jdk "$candidate" || continue
    m=$(java_major "$candidate")
    [ -n "$m" ] || continue
    if [ "$m" -ge "$MIN_JAVA" ] && [ "$m" -gt "$best_major" ]; then best="$candidate"; best_major="$m"; fi
  done
  echo "$best"
}
