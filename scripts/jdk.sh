# Sourced by ./swarm, ./run-tests and .ci/run: sets JAVA_HOME to a JDK of version 21 or newer,
# $JAVA_HOME itself when it is new enough, else the newest JDK under /usr/lib/jvm.
# Pure bash (no subprocesses): the launcher runs this on every CLI call.
swarm_jdk_major() { # sets REPLY to the major version of the JDK at $1, or empty
  REPLY=
  [ -x "$1/bin/java" ] && [ -f "$1/release" ] || return 0
  local line
  while IFS= read -r line; do
    if [[ $line =~ ^JAVA_VERSION=\"([0-9]+) ]]; then REPLY=${BASH_REMATCH[1]}; return 0; fi
  done < "$1/release"
}
swarm_pick_jdk() {
  local best="" best_major=0 candidate
  swarm_jdk_major "${JAVA_HOME:-/nonexistent}"
  if [ -n "$REPLY" ] && [ "$REPLY" -ge 21 ]; then swarm_quiet_maven; return 0; fi
  for candidate in /usr/lib/jvm/*; do
    swarm_jdk_major "$candidate"
    if [ -n "$REPLY" ] && [ "$REPLY" -ge 21 ] && [ "$REPLY" -gt "$best_major" ]; then
      best=$candidate best_major=$REPLY
    fi
  done
  if [ -z "$best" ]; then
    echo "swarm: needs a JDK of version 21 or newer (set JAVA_HOME, or install one under /usr/lib/jvm)" >&2
    return 1
  fi
  export JAVA_HOME=$best
  swarm_quiet_maven
}
swarm_quiet_maven() { # Maven's own libraries use sun.misc.Unsafe, which JDK 24+ warns about at every start
  swarm_jdk_major "$JAVA_HOME"
  if [ -n "$REPLY" ] && [ "$REPLY" -ge 24 ]; then
    case " ${MAVEN_OPTS:-} " in *unsafe-memory-access*) ;; *) export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow" ;; esac
  fi
}
