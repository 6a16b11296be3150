#!/bin/sh
# Builds a minimal Java runtime for the agent (a box has no JDK): only the JDK modules the agent jar needs.
#
# Usage (from the repository root, after `mvn -o -q -pl agent package -DskipTests`):
#   agent/dist/jlink.sh [output-dir]          # default: agent/target/otb-agent-runtime
# Result: OUTPUT/bin/java, OUTPUT/lib/otb-agent.jar, OUTPUT/lib/otb-agent.jsa (static CDS archive of the classes a
# session loads, from a loopback self-test), OUTPUT/bin/otb-agent (launcher with the recommended flags). Install
# OUTPUT as /opt/otb-agent.
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
  --strip-java-debug-attributes --no-man-pages --no-header-files
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
# The classes a session loads (JDK's and agent's) are mapped from lib/otb-agent.jsa, a static class-data-sharing
# archive: ~40 % less time to connect at the same RSS (measured, docs/benchmarks.md). It is valid for this jar at
# this path only, so it is made again from a loopback self-test when missing or when the jar moved or changed.
# The self-test's throwaway CA and server load ~1,000 BouncyCastle classes that a session never does; they are
# left out of the archive, where they would be mapped and resident (+5 MB, measured).
here="$(dirname "$(readlink -f "$0")")"
lib="$(cd "$here/../lib" && pwd)"
jar="$lib/otb-agent.jar"
jsa="$lib/otb-agent.jsa"
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
# -Xms4m -Xmn3m: a small young generation collected often keeps start-up garbage from being promoted into
# (and touching) the whole old generation: ~2 MB less RSS, measured
flags="-Xmx16m -Xms4m -Xmn3m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 \
  -XX:ReservedCodeCacheSize=16m -XX:MaxMetaspaceSize=48m -Xss512k -XX:-UsePerfData"
stamp="$jar $(stat -c '%s %Y' "$jar" 2>/dev/null)"
if { [ ! -f "$jsa" ] || [ "$(cat "$jsa.for" 2>/dev/null)" != "$stamp" ]; } && [ -w "$lib" ]; then
  rm -f "$jsa" "$jsa.for"
  if "$here/java" $flags -XX:DumpLoadedClassList="$lib/classes.all" -jar "$jar" --self-test >/dev/null 2>&1 \
      && grep -v bouncycastle "$lib/classes.all" > "$lib/classes.agent" \
      && "$here/java" $flags -Xshare:dump -XX:SharedClassListFile="$lib/classes.agent" \
          -XX:SharedArchiveFile="$jsa" -cp "$jar" >/dev/null 2>&1; then
    echo "$stamp" > "$jsa.for"
  else
    rm -f "$jsa"
  fi
  rm -f "$lib/classes.all" "$lib/classes.agent"
fi
cds=""
[ -f "$jsa" ] && cds="-XX:SharedArchiveFile=$jsa -Xlog:cds=off -Xlog:cds+dynamic=off"
exec "$here/java" $flags $cds ${OTB_AGENT_JAVA_OPTS:-} -jar "$jar" "$@"
LAUNCHER
chmod +x "$out/bin/otb-agent"
# record the class-data-sharing archive now, and prove the runtime can run a whole mTLS session
"$out/bin/otb-agent" --self-test
echo "runtime: $out ($(du -sh "$out" | cut -f1); java.base + $(echo "$modules" | tr ',' ' ' | wc -w) modules in all)"
echo "modules: $("$out/bin/java" --list-modules | cut -d@ -f1 | tr '\n' ' ')"
