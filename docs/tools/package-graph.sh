#!/bin/sh
# Prints per module the package graph figures (packages, imports, two-way ties, upward imports,
# cycles) of a built checkout, by the layering of docs/ARCHITECTURE.md (cli's test class Layering).
# Usage: docs/tools/package-graph.sh [repository root, default: this checkout]
# The checkout must be built (./mvnw -B -o -q -DskipTests package); this checkout's cli test classes
# must be compiled (./mvnw -B -o -q test-compile -pl cli -am).
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
target=${1:-$here}
. "$here/.mvn/tokenfab/select-jdk.sh"
repo=${MAVEN_REPO:-$HOME/.m2/repository}
cp="$here/cli/target/test-classes:$repo/com/tngtech/archunit/archunit/1.4.1/archunit-1.4.1.jar:$repo/org/slf4j/slf4j-api/2.0.17/slf4j-api-2.0.17.jar"
exec "$JAVA_HOME/bin/java" -cp "$cp" dev.tokenfab.cli.arch.PackageGraph "$target"
