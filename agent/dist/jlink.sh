#!/bin/sh
# Builds a minimal Java runtime for the agent (a box has no JDK): only the JDK modules the agent jar needs.
#
# Usage (from the repository root, after `mvn -o -q -pl agent package -DskipTests`):
#   agent/dist/jlink.sh [output-dir]          # default: agent/target/otb-agent-runtime
# Result: OUTPUT/bin/java, OUTPUT/lib/otb-agent.jar, OUTPUT/lib/otb-agent.jsa (AppCDS archive, recorded from a
# loopback self-test), OUTPUT/bin/otb-agent (launcher with the recommended flags). Install OUTPUT as /opt/otb-agent.
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
# the agent trusts the fleet CA only: the public CA store would only cost heap when the JDK's default SSL context
# is first made (Netty does so once)
rm -f "$out/lib/security/cacerts"
# a class-data-sharing archive of the runtime's own classes: faster start, as the full JDK has
"$out/bin/java" -Xshare:dump -XX:+UseSerialGC >/dev/null
mkdir -p "$out/lib"
cp "$jar" "$out/lib/otb-agent.jar"
cat > "$out/bin/otb-agent" <<'LAUNCHER'
#!/bin/sh
# otb-agent --config FILE [--check-config] | --self-test
# The agent's classes are mapped from lib/otb-agent.jsa (AppCDS: ~40 % less CPU to start, ~2.5 MB less RSS,
# measured). The archive is tied to this folder's path: when it is missing (or the runtime was moved), it is
# recorded once from a loopback self-test.
here="$(dirname "$(readlink -f "$0")")"
lib="$here/../lib"
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
flags="-Xmx16m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -XX:ReservedCodeCacheSize=16m \
  -XX:MaxMetaspaceSize=48m -Xss512k -XX:-UsePerfData"
if [ ! -f "$lib/otb-agent.jsa" ] && [ -w "$lib" ]; then
  "$here/java" $flags -XX:ArchiveClassesAtExit="$lib/otb-agent.jsa" -jar "$lib/otb-agent.jar" --self-test \
    >/dev/null 2>&1 || rm -f "$lib/otb-agent.jsa"
fi
cds=""
[ -f "$lib/otb-agent.jsa" ] && cds="-XX:SharedArchiveFile=$lib/otb-agent.jsa -Xlog:cds=off -Xlog:cds+dynamic=off"
exec "$here/java" $flags $cds ${OTB_AGENT_JAVA_OPTS:-} -jar "$lib/otb-agent.jar" "$@"
LAUNCHER
chmod +x "$out/bin/otb-agent"
# record the class-data-sharing archive now, and prove the runtime can run a whole mTLS session
"$out/bin/otb-agent" --self-test
echo "runtime: $out ($(du -sh "$out" | cut -f1); java.base + $(echo "$modules" | tr ',' ' ' | wc -w) modules in all)"
echo "modules: $("$out/bin/java" --list-modules | cut -d@ -f1 | tr '\n' ' ')"
