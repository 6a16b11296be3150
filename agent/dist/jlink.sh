#!/bin/sh
# Builds a minimal Java runtime for the agent (a box has no JDK): only the JDK modules the agent jar needs.
#
# Usage (from the repository root, after `mvn -o -q -pl agent package -DskipTests`):
#   agent/dist/jlink.sh [output-dir]          # default: agent/target/otb-agent-runtime
# Result: OUTPUT/bin/java, OUTPUT/lib/otb-agent.jar, OUTPUT/bin/otb-agent (launcher with the recommended flags).
#
# No --compress: a compressed module image is inflated into the heap of native memory at class load, which costs
# more RSS (measured +10 MB) than the flash it saves.
# Modules: `jdeps --ignore-missing-deps --print-module-deps --multi-release 17 agent/target/otb-agent.jar` prints
#   java.base,java.desktop,java.naming,java.sql,jdk.jfr,jdk.unsupported
# of which java.desktop, java.sql (Jackson's optional java.beans / java.sql support) and jdk.jfr (Netty's optional
# events) are `requires static` in those libraries and never used by the agent, so they are left out. jdeps cannot
# see providers loaded by name, so jdk.crypto.ec (the SunEC provider: P-256 keys, ECDHE, ECDSA for TLS) is added.
# Override with MODULES=... if a backend needs more.
set -eu
cd "$(dirname "$0")/../.."
out="${1:-agent/target/otb-agent-runtime}"
jar=agent/target/otb-agent.jar
[ -f "$jar" ] || { echo "build the jar first: mvn -o -q -pl agent package -DskipTests" >&2; exit 2; }
modules="${MODULES:-java.base,java.naming,jdk.crypto.ec,jdk.unsupported}"
jmods="${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}/jmods"
rm -rf "$out"
jlink --module-path "$jmods" --add-modules "$modules" --output "$out" \
  --strip-debug --no-man-pages --no-header-files
# a class-data-sharing archive of the runtime's own classes: faster start, as the full JDK has
"$out/bin/java" -Xshare:dump -XX:+UseSerialGC >/dev/null
mkdir -p "$out/lib"
cp "$jar" "$out/lib/otb-agent.jar"
cat > "$out/bin/otb-agent" <<'LAUNCHER'
#!/bin/sh
# otb-agent --config FILE [--check-config]
here="$(dirname "$(readlink -f "$0")")"
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
exec "$here/java" -Xmx16m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 \
  -XX:ReservedCodeCacheSize=16m -XX:MaxMetaspaceSize=48m -Xss512k -XX:-UsePerfData \
  ${OTB_AGENT_JAVA_OPTS:-} -jar "$here/../lib/otb-agent.jar" "$@"
LAUNCHER
chmod +x "$out/bin/otb-agent"
echo "runtime: $out ($(du -sh "$out" | cut -f1); java.base + $(echo "$modules" | tr ',' ' ' | wc -w) modules in all)"
echo "modules: $("$out/bin/java" --list-modules | cut -d@ -f1 | tr '\n' ' ')"
