# Sourced by ./mvnw and ./tokenfab: tokenfab builds and runs on Java 25 (FFM API, release 25).
# Keeps a JAVA_HOME that already points at JDK >= 25; otherwise picks the first JDK 25+ under
# /usr/lib/jvm (Debian and Temurin install there). Machines here default to Java 17.
tokenfab_java_major() { "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p'; }
if [ -z "${JAVA_HOME-}" ] || [ ! -x "$JAVA_HOME/bin/java" ] || [ "$(tokenfab_java_major "$JAVA_HOME")" -lt 25 ] 2>/dev/null; then
  case $- in *f*) set +f; tokenfab_reglob=1 ;; esac  # mvnw runs with globbing off
  for tokenfab_jdk in /usr/lib/jvm/temurin-25* /usr/lib/jvm/java-25* /usr/lib/jvm/temurin-2[6-9]* /usr/lib/jvm/java-2[6-9]*; do
    if [ -x "$tokenfab_jdk/bin/javac" ]; then JAVA_HOME="$tokenfab_jdk"; export JAVA_HOME; break; fi
  done
  [ -z "${tokenfab_reglob-}" ] || set -f
fi
if [ -z "${JAVA_HOME-}" ] || [ "$(tokenfab_java_major "$JAVA_HOME")" -lt 25 ] 2>/dev/null; then
  echo "tokenfab needs JDK 25 or newer: set JAVA_HOME to one (none found under /usr/lib/jvm)" >&2
  exit 1
fi
