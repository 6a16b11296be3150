#!/bin/sh
# Agent footprint benchmark (DESIGN §8): starts a local mTLS test server and the agent jar with -Xmx16m against it,
# then prints start -> hello / applied, RSS (from /proc), heap used (jcmd), thread count and idle CPU.
# Usage (from the repository root): agent/dist/bench-agent.sh [idle-seconds] [extra agent JVM flags...]
# Example: agent/dist/bench-agent.sh 10 -XX:+UseSerialGC -XX:TieredStopAtLevel=1
# To measure the jlink runtime (agent/dist/jlink.sh) instead of this JDK:
#   R=agent/target/otb-agent-runtime; OTB_AGENT_JAVA=$R/bin/java OTB_AGENT_JAR=$R/lib/otb-agent.jar \
#     agent/dist/bench-agent.sh 10 -Xms4m -Xmn3m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 \
#     -XX:ReservedCodeCacheSize=16m -XX:MaxMetaspaceSize=48m -Xss512k -XX:-UsePerfData -XX:SharedArchiveFile=$R/lib/otb-agent.jsa
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
# the recommended flags of agent/dist/otb-agent.service unless others are given
if [ $# -eq 0 ]; then
  set -- -Xms4m -Xmn3m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=16m -XX:MaxMetaspaceSize=48m \
         -Xss512k -XX:CICompilerCount=1 -XX:-UsePerfData
fi
exec java -cp "agent/target/test-classes:agent/target/classes:$(cat "$cp")" \
  net.otb.agent.bench.AgentFootprint "${OTB_AGENT_JAR:-agent/target/otb-agent.jar}" "$idle" "$@"
