#!/usr/bin/env python3
"""Prints the fleet bench's current table (docs/benchmarks.md, "Fleet bench") from the JSON the bench wrote.

    python3 simulator/bench-table.py bench-results/bench-<time>.json [more.json ...]

Each file is one run: one column per run, one row per figure, with its budget. The command, commit, date and load
average of each run head its column, so that a figure never appears without them.
"""
import json
import sys


def get(d, path, default=None):
    for key in path.split("."):
        if not isinstance(d, dict) or key not in d:
            return default
        d = d[key]
    return d


def fmt(value, unit=""):
    if value is None:
        return "—"
    if isinstance(value, float):
        text = f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
    elif isinstance(value, int):
        text = f"{value:,}"
    else:
        text = str(value)
    return text + unit


ROWS = [
    ("whole session set-ups per server CPU-second (ramp)", "≥ 1,000",
     lambda d: f"{fmt(get(d, 'sessions.sessionSetupsPerServerCpuSecond'))} (second half "
               f"{fmt(get(d, 'sessions.secondHalf.sessionSetupsPerServerCpuSecond'))}; "
               f"{fmt(get(d, 'sessions.serverCpuSeconds'))} CPU-s for {fmt(get(d, 'sessions.established'))})"),
    ("openssl speed bound (full handshakes / s / core)", "",
     lambda d: fmt(get(d, "opensslSpeed.handshakeBoundPerCoreSecond"))),
    ("server CPU per box, bulk change fan-out", "≤ 0.10 ms",
     lambda d: fmt(get(d, "bulkPush.serverCpuMsPerBox"), " ms")),
    ("bulk change → applied, p99", "≤ 1 s",
     lambda d: f"{fmt(get(d, 'bulkPush.p99Ms'), ' ms')} (its commits {fmt(get(d, 'bulkPush.commitSeconds'), ' s')}; "
               f"fan-out alone p99 {fmt(get(d, 'bulkPush.fromOwnCommit.p99Ms'), ' ms')})"),
    ("storm: SIGKILL + restart, all reconciled after the restart", "≤ 15 s, 0 lost",
     lambda d: f"{fmt(get(d, 'reconnectStorm.secondsAfterRestart'), ' s')}, lost "
               f"{fmt(get(d, 'reconnectStorm.pushesLost'))} ({fmt(get(d, 'reconnectStorm.toldRetryAfter'))} retryAfter)"),
    ("server listening again after the kill", "≤ 3 s",
     lambda d: fmt(get(d, "reconnectStorm.serverDownSeconds"), " s")),
    ("server heap per idle session", "≤ 16 KB",
     lambda d: fmt(round(get(d, "memory.serverHeapPerIdleSessionBytes", 0) / 1024, 1), " KB")),
]


def main(files):
    runs = [json.load(open(f)) for f in files]
    head = ["figure", "budget"] + [
        f"`simulator/bench.sh --devices {get(d, 'devices')}` at {get(d, 'commit', 'unknown')}, "
        f"{get(d, 'startedAt', '')[:16].replace('T', ' ')} UTC, load {get(d, 'loadAverage.start', 'unknown')} → "
        f"{get(d, 'loadAverage.end', 'unknown')}, {get(d, 'store', 'h2')}, {get(d, 'serverStripes', '?')} stripes"
        for d in runs]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for name, budget, value in ROWS:
        print("| " + " | ".join([name, budget] + [value(d) for d in runs]) + " |")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
