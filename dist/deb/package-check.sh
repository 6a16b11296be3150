#!/usr/bin/env bash
# package-check.sh: the Debian packages as an operator meets them (docs/operations.md#install-from-the-debian-packages),
# on this machine, as root: build both (build-debs.sh, from the jars `mvn package` made), lintian, install with
# apt-get, systemd-analyze verify the units, check-config and start the server as the user otb with the unit's own
# command lines (systemd itself where it runs as PID 1), a credential, signed calls, one agent session; then an
# upgrade to a rebuilt package (the data and the edited config survive), then remove (data and config kept) and
# purge (both gone). About a minute. .ci/run calls it after `mvn verify`; it leaves nothing installed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
chmod 0711 "$work"  # the user otb reaches its credential folder inside
server_pid= agent_pid=
fail() { echo "PACKAGE CHECK FAILED: $*" >&2; for log in "$work"/*.log; do [ -f "$log" ] && { echo "--- $log"; tail -n 30 "$log"; }; done >&2; exit 1; }
cleanup() {
  if [ -n "$agent_pid" ]; then kill "$agent_pid" 2>/dev/null && wait "$agent_pid" 2>/dev/null || true; fi
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true; fi
  if [ "${keep_installed:-0}" != 1 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq otb-server otb-agent >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
export DEBIAN_FRONTEND=noninteractive
step() { echo "package check ($SECONDS s): $*"; }
systemd_runs() { [ -d /run/systemd/system ]; }

# a loopback port nobody listens on
free_port() {
  local port
  for _ in $(seq 1 50); do
    port=$(( 20000 + RANDOM % 12000 ))  # below the ephemeral range (32768-), where tests bind port 0
    if [ -z "$(ss -Htln "sport = :$port")" ]; then echo "$port"; return; fi
  done
  fail "no free port"
}

# wait_for FILE TEXT SECONDS
wait_for() {
  local deadline=$((SECONDS + $3))
  until grep -q -- "$2" "$1" 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || fail "'$2' not in $1 within $3 s"
    sleep 0.2
  done
}

as_otb() { setpriv --reuid=otb --regid=otb --init-groups --inh-caps=-all -- "$@"; }
unit_line() { sed -n "s/^$2=//p" "/lib/systemd/system/$1"; }

start_server() {  # the unit's ExecStartPre and ExecStart as user otb, under its UMask; or systemd's own start
  if systemd_runs; then
    systemctl restart otb-server
    timeout 90 bash -c 'until journalctl -u otb-server -n 50 --no-pager | grep -q "otb-server ready"; do sleep 0.5; done' \
      || fail "otb-server did not get ready under systemd"
    return
  fi
  local pre start
  pre=$(unit_line otb-server.service ExecStartPre) start=$(unit_line otb-server.service ExecStart)
  as_otb sh -c "umask $(unit_line otb-server.service UMask); exec $pre" > "$work/check-config.log" 2>&1 \
    || fail "ExecStartPre ($pre) failed as otb"
  : > "$work/server.log"
  # setpriv itself in the background (not through a function, whose subshell would hold $!): $! is then the JVM
  setpriv --reuid=otb --regid=otb --init-groups --inh-caps=-all -- \
    sh -c "umask $(unit_line otb-server.service UMask); exec $start" >> "$work/server.log" 2>&1 &
  server_pid=$!
  wait_for "$work/server.log" "otb-server ready" 90
}

stop_server() {
  if systemd_runs; then systemctl stop otb-server; return; fi
  kill -TERM "$server_pid"
  local status=0
  wait "$server_pid" || status=$?
  server_pid=
  [ "$status" = 0 ] || [ "$status" = 143 ] || fail "otb-server exited $status on SIGTERM"
}

call() { OTB_HOST=127.0.0.1 OTB_PORT=$http_port OTB_CA=/var/lib/otb-server/pki/ca.crt otb-call "$work/cred/operator.env" "$@"; }

step "build and lintian"
[ -f "$root/provisioning-server/target/otb-server.jar" ] && [ -f "$root/agent/target/otb-agent.jar" ] \
  || fail "the jars are missing: run mvn package first"
"$here/build-debs.sh" "$work/v1" >/dev/null
OTB_DEB_VERSION_SUFFIX=+upgrade "$here/build-debs.sh" "$work/v2" >/dev/null
lintian --fail-on error,warning "$work"/v1/*.deb > "$work/lintian.log" 2>&1 || fail "lintian found errors or warnings"

step "install"
apt-get purge -y -qq otb-server otb-agent >/dev/null 2>&1 || true
apt-get install -y -qq --no-install-recommends "$work"/v1/otb-server_*.deb "$work"/v1/otb-agent_*.deb >/dev/null \
  || fail "apt-get install of the packages failed"
v1=$(dpkg-query -W -f '${Version}' otb-server)
getent passwd otb >/dev/null || fail "postinst made no user otb"
[ "$(stat -c '%U:%G %a' /var/lib/otb-server)" = "otb:otb 700" ] || fail "/var/lib/otb-server is $(stat -c '%U:%G %a' /var/lib/otb-server)"
[ "$(stat -c '%U:%G %a' /etc/otb-server/server.properties)" = "root:otb 640" ] || fail "server.properties modes"
grep -qx /etc/otb-server/server.properties /var/lib/dpkg/info/otb-server.conffiles || fail "server.properties is no conffile"
for unit in otb-server.service otb-agent.service; do
  out=$(systemd-analyze verify "/lib/systemd/system/$unit" 2>&1) || fail "systemd-analyze verify $unit: $out"
  # without systemd as PID 1 it still parses the unit; only its own environment's complaints are tolerated
  if echo "$out" | grep -v -e 'Failed to connect' -e 'System has not been booted' -e 'No such file or directory' \
       -e 'Cannot add dependency job' -e 'bus' | grep -q .; then
    fail "systemd-analyze verify $unit: $out"
  fi
done
grep -qx 'User=otb' /lib/systemd/system/otb-server.service && grep -qx 'UMask=0077' /lib/systemd/system/otb-server.service \
  && grep -qx 'CapabilityBoundingSet=' /lib/systemd/system/otb-server.service \
  && grep -qx 'CapabilityBoundingSet=CAP_NET_ADMIN' /lib/systemd/system/otb-agent.service || fail "the units' hardening"

step "configure (free loopback ports), a credential, start as otb"
if systemd_runs; then systemctl stop otb-server; fi
agent_port=$(free_port) http_port=$(free_port)
sed -i "s/^agent-port = .*/agent-port = $agent_port/; s/^http-port = .*/http-port = $http_port/" /etc/otb-server/server.properties
echo "# edited by package-check.sh" >> /etc/otb-server/server.properties
install -d -o otb -g otb -m 0700 "$work/cred"
as_otb otb-server create-credential --data-dir /var/lib/otb-server --role operator --format env \
  --output "$work/cred/operator.env" > "$work/credential.log" 2>&1 || fail "create-credential as otb"
start_server
leaky=$(find /var/lib/otb-server -perm /077 | head -n 5)
[ -z "$leaky" ] || fail "open to group or others: $leaky"

step "signed calls and an agent session"
call POST /1.0/admin/devices '{"serial":"OTB3-PKG001","model":"v3"}' >/dev/null || fail "signed POST /1.0/admin/devices"
call POST /1.0/admin/services \
  '{"serviceName":"otb-pkg","account":"acct-pkg","offer":"starter.v1","serviceIp":"203.0.113.77","deviceId":"OTB3-PKG001"}' \
  >/dev/null || fail "signed POST /1.0/admin/services"
as_otb java -cp /usr/share/otb-server/otb-server.jar net.otb.protocol.pki.PkiTool issue-device /var/lib/otb-server/pki \
  OTB3-PKG001 > "$work/pki.log" 2>&1 || fail "issue-device"
install -m 0600 /var/lib/otb-server/pki/devices/OTB3-PKG001.key /etc/otb-agent/agent.key
install -m 0600 /var/lib/otb-server/pki/devices/OTB3-PKG001.crt /etc/otb-agent/agent.crt
install -m 0644 /var/lib/otb-server/pki/ca.crt /etc/otb-agent/ca.crt
sed -i "s/^servers=.*/servers=127.0.0.1:$agent_port/; s/^backend=.*/backend=memory/; s/^backend.interface=.*/backend.model=v3/" \
  /etc/otb-agent/agent.properties
echo "# edited by package-check.sh" >> /etc/otb-agent/agent.properties
agent_pre=$(unit_line otb-agent.service ExecStartPre) agent_start=$(unit_line otb-agent.service ExecStart)
sh -c "exec $agent_pre" > "$work/agent-check.log" 2>&1 || fail "the agent's ExecStartPre ($agent_pre)"
sh -c "umask 0077; exec $agent_start" > "$work/agent.log" 2>&1 &
agent_pid=$!
wait_for "$work/agent.log" "generation 1 confirmed" 60
kill -TERM "$agent_pid"; wait "$agent_pid" || true; agent_pid=
call GET /1.0/overTheBox/otb-pkg | grep -q '"inSync":true' || fail "the service is not in sync after the agent's session"
curl -sS --fail --cacert /var/lib/otb-server/pki/ca.crt "https://127.0.0.1:$http_port/metrics" | grep -q '^otb_sessions ' \
  || fail "/metrics"
stop_server

step "upgrade $v1 -> the rebuilt package"
apt-get install -y -qq --no-install-recommends -o Dpkg::Options::=--force-confold \
  "$work"/v2/otb-server_*.deb "$work"/v2/otb-agent_*.deb >/dev/null || fail "apt-get install of the upgrade failed"
[ "$(dpkg-query -W -f '${Version}' otb-server)" = "$v1+upgrade" ] || fail "otb-server is not upgraded"
grep -q "edited by package-check.sh" /etc/otb-server/server.properties || fail "the upgrade lost the server's edited config"
grep -q "edited by package-check.sh" /etc/otb-agent/agent.properties || fail "the upgrade lost the agent's edited config"
[ -f /etc/otb-agent/agent.key ] || fail "the upgrade lost the agent's key"
start_server
call GET /1.0/overTheBox/otb-pkg | grep -q '"appliedGeneration":1' || fail "the data did not survive the upgrade"
stop_server

step "remove, then purge"
apt-get remove -y -qq otb-server otb-agent >/dev/null || fail "apt-get remove"
[ -d /var/lib/otb-server ] && [ -f /etc/otb-server/server.properties ] || fail "remove took the data or the config"
[ ! -e /usr/bin/otb-server ] && [ ! -e /usr/share/otb-server/otb-server.jar ] || fail "remove left the program"
apt-get purge -y -qq otb-server otb-agent >/dev/null || fail "apt-get purge"
[ ! -e /var/lib/otb-server ] && [ ! -e /etc/otb-server ] && [ ! -e /var/lib/otb-agent ] && [ ! -e /etc/otb-agent ] \
  || fail "purge left data or config"
echo "package check: install, use, upgrade, remove and purge passed ($v1)"
