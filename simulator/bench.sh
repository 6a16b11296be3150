#!/bin/sh
# The fleet bench (docs/architecture.md#budgets) at 10,000 boxes by default: raises the open-files limit as far as allowed (each box
# holds a socket in this JVM, each session one in the server's: 10,000 boxes need a limit above ~10,100 in each),
# gives the fleet JVM the heap it needs, and passes the rest on, e.g. `simulator/bench.sh --devices 2000`.
# Build first: mvn -q -DskipTests package
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 12000 ]; then
    echo "bench.sh: the open-files limit is $(ulimit -n); 10,000 boxes need about 10,100 (pass a smaller --devices)" >&2
fi
# the commit of the jar's sources, recorded in the results (docs/benchmarks.md: a figure carries its commit)
OTB_COMMIT=$(git -C "$(dirname "$0")" rev-parse --short HEAD 2>/dev/null || echo unknown)
export OTB_COMMIT
exec java -Xmx6g -jar "$(dirname "$0")/target/otb-simulator.jar" bench "$@"
