#!/usr/bin/env python3
"""Where a JFR recording's CPU went: the share of CPU by thread (jdk.ThreadCPULoad: every Java thread's user and
system load, JIT compiler threads included; GC threads are not Java threads and are not in it), then the Java
samples (jdk.ExecutionSample) by thread, by package and method of the top frame, inclusively by method, and by
the first net.otb frame. Native code (BoringSSL, fsync) is not in the Java samples; jdk.NativeMethodSample counts
threads parked in native code, busy or not, so it is left out. Used by simulator/profile-bench.sh.
    python3 simulator/jfr-breakdown.py RECORDING.jfr"""
import collections
import json
import re
import subprocess
import sys


def jfr(*args):
    return subprocess.run(["jfr", "print", *args], check=True, capture_output=True, text=True).stdout


def thread_kind(name):
    return re.sub(r"\d+", "#", name or "?")


def cpu_by_thread(recording):
    events = json.loads(jfr("--json", "--events", "jdk.ThreadCPULoad", recording))["recording"]["events"]
    load = collections.Counter()
    for event in events:
        values = event["values"]
        thread = values.get("eventThread") or {}
        load[thread_kind(thread.get("javaName"))] += values["user"] + values["system"]
    total = sum(load.values()) or 1
    print(f"== CPU by thread (jdk.ThreadCPULoad, {len(events)} readings)")
    for name, value in load.most_common(12):
        print(f"{100 * value / total:5.1f}% {name}")


def java_samples(recording):
    text = jfr("--events", "jdk.ExecutionSample", "--stack-depth", "64", recording)
    threads, by_package, top, inclusive, ours = (collections.Counter() for _ in range(5))
    samples = 0
    stack, thread = [], None

    def flush():
        nonlocal samples
        if not stack:
            return
        samples += 1
        threads[thread_kind(thread)] += 1
        top[stack[0]] += 1
        by_package[".".join(stack[0].split("(")[0].split(".")[:3])] += 1
        for method in dict.fromkeys(frame.split("(")[0] for frame in stack):
            inclusive[method] += 1
        ours[next((f.split("(")[0] for f in stack if f.startswith("net.otb")), "<no net.otb frame>")] += 1

    for line in text.splitlines():
        line = line.strip()
        if line.startswith("jdk.ExecutionSample"):
            flush()
            stack, thread = [], None
        elif line.startswith("sampledThread"):
            match = re.search(r'"([^"]*)"', line)
            thread = match.group(1) if match else line
        elif re.match(r"^[\w$.<>/]+\(", line):
            stack.append(line.split(" line:")[0])
    flush()
    for title, counter, rows in (("Java samples by thread", threads, 10), ("self by package", by_package, 15),
                                 ("self", top, 20), ("inclusive", inclusive, 50),
                                 ("first net.otb frame", ours, 25)):
        print(f"== {title} (of {samples} samples)")
        for name, count in counter.most_common(rows):
            print(f"{100 * count / max(samples, 1):5.1f}% {name[:150]}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    cpu_by_thread(sys.argv[1])
    java_samples(sys.argv[1])
