# Sourced by ./swarm, ./run-tests and .ci/run: sets JAVA_HOME to a JDK of version 21 or newer,
# $JAVA_HOME itself when it is new enough, else the newest JDK under /usr/lib/jvm.
swarm_jdk_major() { # prints the major version of the JDK at $1, or nothing
  [ -x "$1/bin/java" ] && [ -f "$1/release" ] || return 0
  sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release"
}
swarm_pick_jdk() {
  local major best="" best_major=0 candidate
  major=$(swarm_jdk_major "${JAVA_HOME:-/nonexistent}")
  if [ -n "$major" ] && [ "$major" -ge 21 ]; then return 0; fi
  for candidate in /usr/lib/jvm/*; do
    major=$(swarm_jdk_major "$candidate")
    if [ -n "$major" ] && [ "$major" -ge 21 ] && [ "$major" -gt "$best_major" ]; then
      best=$candidate best_major=$major
    fi
  done
  if [ -z "$best" ]; then
    echo "swarm: needs a JDK of version 21 or newer (set JAVA_HOME, or install one under /usr/lib/jvm)" >&2
    return 1
  fi
  export JAVA_HOME=$best
}
