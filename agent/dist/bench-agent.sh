#!/bin/sh
# Agent footprint benchmark (docs/architecture.md#budgets): starts a local mTLS test server and the agent jar with -Xmx16m against it,
# then prints start -> hello / applied, RSS (from /proc), heap used (jcmd), thread count and idle CPU.
# Usage (from the repository root): agent/dist/bench-agent.sh [idle-seconds] [extra agent JVM flags...]
# Example: agent/dist/bench-agent.sh 10 -XX:+UseSerialGC -XX:TieredStopAtLevel=1
# To measure the jlink runtime of agent/dist/jlink.sh (its java, jar and class-data-sharing archive) instead:
#   agent/dist/jlink.sh && OTB_AGENT_RUNTIME=agent/target/otb-agent-runtime agent/dist/bench-agent.sh 10
# (OTB_AGENT_JAVA and OTB_AGENT_JAR choose a java and a jar one by one.)
set -eu
cd "$(dirname "$0")/../.."
idle="${1:-10}"
[ $# -gt 0 ] && shift
if [ ! -f agent/target/otb-agent.jar ] || [ ! -d agent/target/test-classes ]; then
  mvn -o -q -pl agent package -DskipTests
fi
cp=agent/target/classpath.txt
if [ ! -f "$cp" ] || [ agent/pom.xml -nt "$cp" ]; then
  mvn -o -q -pl agent dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/classpath.txt
fi
if [ -n "${OTB_AGENT_RUNTIME:-}" ]; then
  OTB_AGENT_JAVA="$OTB_AGENT_RUNTIME/bin/java"
  OTB_AGENT_JAR="$OTB_AGENT_RUNTIME/lib/otb-agent.jar"
  export OTB_AGENT_JAVA OTB_AGENT_JAR
fi
# the recommended flags of the launcher (bin/otb-agent of jlink.sh) unless others are given
if [ $# -eq 0 ]; then
  set -- -Xms4m -Xmn3m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=16m -XX:MaxMetaspaceSize=48m \
         -Xss512k -XX:CICompilerCount=1 -XX:-UsePerfData
  if [ -n "${OTB_AGENT_RUNTIME:-}" ] && [ -f "$OTB_AGENT_RUNTIME/lib/otb-agent.jsa" ]; then
    set -- "$@" -XX:SharedArchiveFile="$OTB_AGENT_RUNTIME/lib/otb-agent.jsa"
  fi
fi
exec java -cp "agent/target/test-classes:agent/target/classes:$(cat "$cp")" \
  net.otb.agent.bench.AgentFootprint "${OTB_AGENT_JAR:-agent/target/otb-agent.jar}" "$idle" "$@"
