#!/bin/sh
# The agent footprint benchmark with the backend a box runs (linux-tc: HTB + IFB through `tc`), as root, inside a
# network namespace made for it: the test server, the agent and a veth pair standing for the WAN all live there, so the
# host's own interfaces are never touched. Needs iproute2 and the ifb module (modprobe ifb).
# Usage (from the repository root): agent/dist/bench-agent-tc.sh [idle-seconds] [agent JVM flags...]
# With OTB_AGENT_RUNTIME=agent/target/otb-agent-runtime it measures the jlink runtime, as bench-agent.sh does.
set -eu
cd "$(dirname "$0")/../.."
ns="otb-agent-bench-$$"
ip netns add "$ns"
trap 'ip netns del "$ns" 2>/dev/null || true' EXIT INT TERM
ip -n "$ns" link set lo up
ip -n "$ns" link add otbwan0 type veth peer name otbpeer0
ip -n "$ns" link set otbpeer0 up
ip -n "$ns" link set otbwan0 up
ip netns exec "$ns" env OTB_BENCH_BACKEND=linux-tc OTB_BENCH_BACKEND_OPTIONS=interface=otbwan0 \
  sh agent/dist/bench-agent.sh "$@"
# the shaping the agent left on the "WAN", to show the profile really went through tc
ip netns exec "$ns" tc qdisc show dev otbwan0 | head -3
