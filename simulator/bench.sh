#!/bin/sh
# The fleet bench (DESIGN §8) at 10,000 boxes by default: raises the open-files limit (each box holds a socket
# in this JVM, each session one in the server's), gives the fleet JVM the heap it needs, and passes the rest on,
# e.g. `simulator/bench.sh --devices 2000`. Build first: mvn -q -DskipTests package
ulimit -n 65536 2>/dev/null || echo "bench.sh: cannot raise the open-files limit (now $(ulimit -n))" >&2
exec java -Xmx6g -jar "$(dirname "$0")/target/otb-simulator.jar" bench "$@"
