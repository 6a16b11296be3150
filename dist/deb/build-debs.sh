#!/usr/bin/env bash
# build-debs.sh [OUTDIR]: the Debian packages otb-server and otb-agent (docs/operations.md#install-from-the-debian-packages),
# from the jars `mvn package` made (provisioning-server/target/otb-server.jar, agent/target/otb-agent.jar), with
# dpkg-deb alone: no debhelper, the maintainer scripts are in this folder. OUTDIR defaults to target/deb.
# The version is the Maven project's (0.1.0-SNAPSHOT becomes 0.1.0~SNAPSHOT, which sorts before 0.1.0), followed by
# OTB_DEB_VERSION_SUFFIX when set (package-check.sh builds a "+upgrade" one to test an upgrade).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${1:-$root/target/deb}
mkdir -p "$out"
out=$(cd "$out" && pwd)

maven_version=$(sed -n 's:^  <version>\(.*\)</version>$:\1:p' "$root/pom.xml" | head -n 1)
[ -n "$maven_version" ] || { echo "build-debs: no <version> in pom.xml" >&2; exit 1; }
version=${maven_version/-/\~}${OTB_DEB_VERSION_SUFFIX:-}
maintainer="OverTheBox provisioning team <otb-provisioning@example.net>"

# package NAME JAR: a staging tree under $work/NAME, then dpkg-deb
build() {
  local name=$1 jar=$2 stage=$work/$1
  [ -f "$jar" ] || { echo "build-debs: $jar is missing: run mvn package first" >&2; exit 1; }
  rm -rf "$stage"
  install -d -m 0755 "$stage/DEBIAN" "$stage/usr/share/$name" "$stage/usr/bin" "$stage/etc/$name" \
    "$stage/lib/systemd/system" "$stage/usr/share/doc/$name" "$stage/usr/share/lintian/overrides" "$stage/usr/share/man/man1"
  install -m 0644 "$jar" "$stage/usr/share/$name/$name.jar"
  install -m 0644 "$here/$name/copyright" "$stage/usr/share/doc/$name/copyright"
  install -m 0644 "$here/$name/lintian-overrides" "$stage/usr/share/lintian/overrides/$name"
  printf '%s (%s) unstable; urgency=medium\n\n  * Built from the otb repository (git history: the project'"'"'s own).\n\n -- %s  %s\n' \
    "$name" "$version" "$maintainer" "$(date -R -u -d @"${SOURCE_DATE_EPOCH:-$(git -C "$root" log -1 --format=%ct 2>/dev/null || date +%s)}")" \
    | gzip -9n > "$stage/usr/share/doc/$name/changelog.gz"
  for script in postinst prerm postrm; do
    install -m 0755 "$here/$name/$script" "$stage/DEBIAN/$script"
  done
  printf '/etc/%s/%s\n' "$name" "$3" > "$stage/DEBIAN/conffiles"
}

# the launcher and man page of one program
launcher() {  # stage program text-of-exec man-summary
  local stage=$1 program=$2
  printf '#!/bin/sh\n# %s: the launcher of the Debian package (docs/operations.md#install-from-the-debian-packages)\n%s\n' \
    "$program" "$3" > "$stage/usr/bin/$program"
  chmod 0755 "$stage/usr/bin/$program"
  {
    printf '.TH %s 1 "" "%s" "User Commands"\n.SH NAME\n%s \\- %s\n.SH SYNOPSIS\n.B %s\n[\\fIOPTIONS\\fR]\n' \
      "$(echo "$program" | tr a-z A-Z)" "$version" "$program" "$4" "$program"
    printf '.SH DESCRIPTION\n%s. Run it with \\fB--help\\fR for every option; the project'"'"'s docs/operations.md tells how to operate it.\n' "$4"
  } | gzip -9n > "$stage/usr/share/man/man1/$program.1.gz"
}

control() {  # stage depends description-line long-description
  local stage=$1 size
  ( cd "$stage" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum ) > "$stage/DEBIAN/md5sums"
  size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
  cat > "$stage/DEBIAN/control" <<CONTROL
Package: $(basename "$stage")
Version: $version
Architecture: all
Maintainer: $maintainer
Installed-Size: $size
Depends: $2
Section: net
Priority: optional
Homepage: https://www.ovhtelecom.fr/overthebox/
Description: $3
$4
CONTROL
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# otb-server
build otb-server "$root/provisioning-server/target/otb-server.jar" server.properties
stage=$work/otb-server
install -m 0644 "$root/provisioning-server/dist/server.properties" "$stage/etc/otb-server/server.properties"
install -m 0644 "$root/provisioning-server/dist/otb-server.service" "$stage/lib/systemd/system/otb-server.service"
install -m 0755 "$root/provisioning-server/dist/otb-call" "$stage/usr/bin/otb-call"
install -d -m 0755 "$stage/usr/share/otb-server/dist"
install -m 0644 "$root/provisioning-server/dist/grafana/otb-server.json" "$stage/usr/share/otb-server/dist/grafana-otb-server.json"
install -m 0644 "$root/provisioning-server/dist/prometheus/otb-alerts.yml" "$stage/usr/share/otb-server/dist/prometheus-otb-alerts.yml"
launcher "$stage" otb-server 'exec java ${OTB_SERVER_JAVA_OPTS:--Xmx512m} -jar /usr/share/otb-server/otb-server.jar "$@"' \
  "the OverTheBox provisioning server"
{
  printf '.TH OTB-CALL 1 "" "%s" "User Commands"\n.SH NAME\notb-call \\- one signed call of the provisioning server'"'"'s API\n' "$version"
  printf '.SH SYNOPSIS\n.B otb-call\n\\fICREDENTIAL.env METHOD PATH\\fR [\\fIJSON-BODY\\fR]\n.SH DESCRIPTION\nSigns the call as OVH'"'"'s clients do, with a credential file of \\fBotb-server create-credential --format env\\fR.\n'
} | gzip -9n > "$stage/usr/share/man/man1/otb-call.1.gz"
control "$stage" "openjdk-17-jre-headless | java17-runtime-headless, adduser, curl" \
  "OverTheBox provisioning server: pushes bandwidth profiles to boxes" \
" The provisioning server of the OverTheBox offer change: the agent gateway
 (boxes over mutual TLS), the order system's signed HTTPS API and the store
 (embedded H2 in /var/lib/otb-server, or PostgreSQL). Runs as the system user
 otb under a hardened systemd unit; /metrics serves Prometheus text, and a
 Grafana dashboard and alert rules are in /usr/share/otb-server/dist."
dpkg-deb --root-owner-group -Zgzip --build "$stage" "$out/otb-server_${version}_all.deb" >/dev/null

# otb-agent
build otb-agent "$root/agent/target/otb-agent.jar" agent.properties
stage=$work/otb-agent
install -m 0644 "$root/agent/dist/agent.properties" "$stage/etc/otb-agent/agent.properties"
install -m 0644 "$here/otb-agent/otb-agent.service" "$stage/lib/systemd/system/otb-agent.service"
launcher "$stage" otb-agent 'exec java ${OTB_AGENT_JAVA_OPTS:--Xmx16m -XX:+UseSerialGC -XX:TieredStopAtLevel=1} -jar /usr/share/otb-agent/otb-agent.jar "$@"' \
  "the OverTheBox agent, which applies the bandwidth profile on the box"
control "$stage" "openjdk-17-jre-headless | java17-runtime-headless, iproute2" \
  "OverTheBox agent: applies the pushed bandwidth profile on the box" \
" The agent of an OverTheBox box: connects to the provisioning server over
 mutual TLS, applies the bandwidth profile it is pushed with Linux tc
 (commit-confirmed: reverted if the server does not confirm it) and reports
 back. Its systemd unit keeps only CAP_NET_ADMIN."
dpkg-deb --root-owner-group -Zgzip --build "$stage" "$out/otb-agent_${version}_all.deb" >/dev/null

echo "built $out/otb-server_${version}_all.deb $out/otb-agent_${version}_all.deb"
