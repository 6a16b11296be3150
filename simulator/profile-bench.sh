#!/bin/bash
# Runs the fleet bench (simulator/bench.sh, same options) with a JFR recording of the bench's server per phase:
# the ramp (from the box certificates issued to all sessions established), the bulk change (to the last confirm)
# and the storm (the restarted server, from its start to all reconciled). Then prints, per recording, the share
# of the server's CPU by thread (jdk.ThreadCPULoad) and where its Java samples are (jdk.ExecutionSample), with
# simulator/jfr-breakdown.py. JFR costs CPU: the bench's figures of a profiled run are not budget figures.
#   simulator/profile-bench.sh OUT_DIR [bench options, e.g. --devices 10000]
# Needs the JDK's jcmd and jfr, python3, and a build (mvn -q -DskipTests package).
set -u
OUT=${1:?usage: simulator/profile-bench.sh OUT_DIR [bench options]}; shift
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$OUT" || exit 2
LOG=$OUT/bench.log
uptime > "$OUT/load.txt"
"$HERE/bench.sh" "$@" > "$LOG" 2>&1 &
BENCH=$!
wait_for() {  # a line of the bench's log, or the bench's end
    until grep -q "$1" "$LOG"; do
        kill -0 "$BENCH" 2>/dev/null || { echo "profile-bench: the bench ended before '$1' (see $LOG)" >&2; return 1; }
        sleep 0.2
    done
}
record() {  # pid, name, start line, stop line
    wait_for "$3" || return 1
    jcmd "$1" JFR.start name="$2" settings=profile > /dev/null || return 1
    wait_for "$4" || return 1
    jcmd "$1" JFR.stop name="$2" filename="$OUT/$2.jfr" > /dev/null
}
wait_for "server up (pid" || exit 1
PID=$(grep -o "server up (pid [0-9]*" "$LOG" | head -1 | grep -o "[0-9]*$")
record "$PID" ramp "box certificates issued" "sessions established in" || exit 1
record "$PID" bulk "bulk change .* → " "server CPU from the change" || exit 1
wait_for "server back in" || exit 1
PID2=$(pgrep -f "SimulatorMain bench-server" | grep -v "^$PID$" | head -1)
record "$PID2" storm "server back in" "storm: all" || exit 1
wait "$BENCH"; echo "bench exit $?" >> "$OUT/load.txt"; uptime >> "$OUT/load.txt"
grep -E "openssl speed|established in|bulk change →|fan-out alone|server CPU from|server back|storm: all" "$LOG"
for phase in ramp bulk storm; do
    python3 "$HERE/jfr-breakdown.py" "$OUT/$phase.jfr" > "$OUT/$phase.txt" && echo "== $phase: $OUT/$phase.txt" \
        && sed -n '1,/^== self by package/p' "$OUT/$phase.txt" | head -n 20
done
