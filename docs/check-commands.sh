#!/usr/bin/env bash
# Runs the commands of README.md and docs/*.md, so that they cannot drift from the code.
#
# Every code block whose first line is a command (java, mvn, curl, VAR=..., cd, a script of the checkout...) must be
# preceded by one of these markers (an HTML comment, invisible on the rendered page; a blank line may separate them):
#   <!-- check: run -->                 run the block; it must exit 0
#   <!-- check: run with-server -->     the same with a fresh server running (`--data-dir data`, ports 4443, 8080)
#   <!-- check: start PATTERN -->       start the block in the background and wait until its output shows PATTERN;
#                                       it is stopped (SIGTERM) after the page's last block
#   <!-- check: skip REASON -->         not run here (root only, long benchmarks, a database this check has not);
#                                       listed at the end with the reason
# An unmarked command block is an error. Blocks of a page run in order, in a scratch folder of their own that links
# to the checkout's modules (so `data/` and the like land there, the jars are the checkout's), on loopback only.
# `curl` fails on an HTTP error (--fail-with-body); `mvn -q -DskipTests package` runs once per check.
# DOCS_CHECK_BUILT=1: the jars are built already (.ci/run, right after `mvn -B -ntp verify`, whose package phase makes
# the same jars), so `mvn -q -DskipTests package` is not run again.
# Usage: docs/check-commands.sh [--list] [FILE.md...]      (default: README.md docs/*.md)
# Needs: the build (mvn -q -DskipTests package, which the README's first block runs), curl, free ports 4443 and 8080.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

list_only=false
if [ "${1:-}" = "--list" ]; then
  list_only=true
  shift
fi
if [ $# -gt 0 ]; then pages=("$@"); else pages=(README.md docs/*.md); fi

run_timeout=${DOCS_CHECK_TIMEOUT:-300}
start_timeout=${DOCS_CHECK_START_TIMEOUT:-120}
work=$(mktemp -d "${TMPDIR:-/tmp}/otb-docs-check.XXXXXX")
started=()

stop_started() {
  local pid
  for pid in "${started[@]}"; do
    kill -TERM -- "-$pid" 2>/dev/null || true
  done
  for pid in "${started[@]}"; do
    for _ in $(seq 30); do
      kill -0 -- "-$pid" 2>/dev/null || break
      sleep 0.5
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
  done
  started=()
}
cleanup() {
  stop_started
  if [ -z "${DOCS_CHECK_KEEP:-}" ]; then rm -rf "$work"; else echo "docs-check: kept $work"; fi
}
trap cleanup EXIT

# Splits a page into its code blocks: for each, "<n>\t<line>\t<marker>" on stdout and the block's text in DIR/<n>.sh.
# Indented blocks (4 spaces after a blank line) and fenced ones (``` with sh, bash, console, shell or no language)
# count; fences of another language (java, json...) are not commands.
extract() {
  awk -v dir="$2" '
    function flush() {
      if (n_lines > 0) {
        n++
        file = dir "/" n ".sh"
        printf "" > file
        for (i = 1; i <= n_lines; i++) print lines[i] > file
        close(file)
        printf "%d\t%d\t%s\n", n, start, marker
        marker = ""
      }
      n_lines = 0
    }
    /^```/ {
      if (!fenced) {
        fenced = 1; lang = substr($0, 4); gsub(/[ \t].*/, "", lang)
        keep = (lang == "" || lang == "sh" || lang == "bash" || lang == "console" || lang == "shell")
        start = NR + 1; n_lines = 0
      } else {
        fenced = 0
        if (keep) flush(); else { n_lines = 0; marker = "" }
      }
      prev = ""; next
    }
    fenced { if (keep) lines[++n_lines] = $0; next }
    /^<!-- check: .* -->$/ {
      if (indented) { indented = 0; while (n_lines > 0 && lines[n_lines] == "") n_lines--; flush() }
      m = $0; sub(/^<!-- check: /, "", m); sub(/ -->$/, "", m); marker = m; prev = ""; next }
    /^    / && (indented || prev ~ /^[ \t]*$/) {
      if (!indented) { indented = 1; start = NR; n_lines = 0 }
      lines[++n_lines] = substr($0, 5); prev = $0; next
    }
    /^[ \t]*$/ { if (indented) lines[++n_lines] = ""; prev = $0; next }
    {
      if (indented) { indented = 0; while (n_lines > 0 && lines[n_lines] == "") n_lines--; flush() }
      if ($0 !~ /^<!--/) marker = ""
      prev = $0
    }
    END { if (indented) { while (n_lines > 0 && lines[n_lines] == "") n_lines--; flush() } }
  ' "$1"
}

# The first non-empty line of a block is a command (and not a program's output or a config file)?
is_command() {
  local first
  first=$(grep -m1 -v '^[[:space:]]*$' "$1" || true)
  first=${first#\$ }
  [[ "$first" =~ ^(java|mvn|curl|cd|sudo|systemctl|bash|sh|agent/|simulator/|provisioning-server/|protocol/|docs/|\./|[A-Z_][A-Z0-9_]*=) ]]
}

prelude='
curl() { command curl --fail-with-body --silent --show-error --max-time 30 "$@"; }
mvn() {
  if [ "$*" = "-q -DskipTests package" ] && [ -e "$DOCS_CHECK_WORK/built" ]; then
    echo "(docs-check: the build ran already)"; return 0
  fi
  command mvn "$@" || return
  if [ "$*" = "-q -DskipTests package" ]; then touch "$DOCS_CHECK_WORK/built"; fi
}
'
export DOCS_CHECK_WORK="$work"
if [ -n "${DOCS_CHECK_BUILT:-}" ]; then touch "$work/built"; fi

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

failures=0
skipped=()
ran=0
fail() {
  echo "docs-check: FAILED $1" >&2
  if [ -n "${2:-}" ] && [ -f "$2" ]; then
    echo "---- output (last 30 lines) ----" >&2
    tail -n 30 "$2" >&2
    echo "--------------------------------" >&2
  fi
  failures=$((failures + 1))
}

run_block() { # folder block log [timeout]
  (cd "$1" && timeout --kill-after=10 "${4:-$run_timeout}" bash -c "$prelude
set -euo pipefail
source \"$2\"") > "$3" 2>&1
}

start_server() { # folder log
  if port_busy 4443 || port_busy 8080; then
    echo "docs-check: port 4443 or 8080 is in use on 127.0.0.1; the documented commands need them" >&2
    return 1
  fi
  setsid java -jar "$root/provisioning-server/target/otb-server.jar" --data-dir "$1/data" > "$2" 2>&1 &
  local pid=$!
  started+=("$pid")
  wait_for "$pid" "$2" "otb-server ready"
}

wait_for() { # pid log pattern
  local deadline=$((SECONDS + start_timeout))
  while [ $SECONDS -lt $deadline ]; do
    if grep -q -- "$3" "$2" 2>/dev/null; then return 0; fi
    if ! kill -0 "$1" 2>/dev/null; then return 1; fi
    sleep 0.5
  done
  return 1
}

for page in "${pages[@]}"; do
  name=$(echo "$page" | tr '/.' '__')
  blocks="$work/blocks/$name"
  folder="$work/run/$name"
  mkdir -p "$blocks" "$folder"
  for entry in pom.xml protocol agent provisioning-server simulator docs; do
    ln -s "$root/$entry" "$folder/$entry"
  done
  while IFS=$'\t' read -r n line marker; do
    block="$blocks/$n.sh"
    where="$page:$line"
    if [ -z "$marker" ]; then
      if is_command "$block"; then
        fail "$where: a command block without a <!-- check: run|run with-server|start PATTERN|skip REASON --> marker"
      fi
      continue
    fi
    case "$marker" in
      skip\ *) skipped+=("$where: ${marker#skip }"); continue ;;
      run|"run with-server"|start\ *) ;;
      *) fail "$where: unknown marker '$marker'"; continue ;;
    esac
    if $list_only; then
      echo "$where: $marker: $(grep -m1 -v '^[[:space:]]*$' "$block")"
      continue
    fi
    log="$folder/block-$n.log"
    echo "docs-check: $where ($marker): $(grep -m1 -v '^[[:space:]]*$' "$block")"
    begin=$SECONDS
    case "$marker" in
      run)
        run_block "$folder" "$block" "$log" || fail "$where: exit code $?" "$log" ;;
      "run with-server")
        if start_server "$folder" "$folder/server-$n.log"; then
          run_block "$folder" "$block" "$log" || fail "$where: exit code $?" "$log"
        else
          fail "$where: the server did not start" "$folder/server-$n.log"
        fi
        stop_started ;;
      start\ *)
        pattern=${marker#start }
        (cd "$folder" && exec setsid bash -c "$prelude
set -euo pipefail
source \"$block\"") > "$log" 2>&1 &
        pid=$!
        started+=("$pid")
        wait_for "$pid" "$log" "$pattern" || fail "$where: '$pattern' not seen within ${start_timeout} s" "$log" ;;
    esac
    ran=$((ran + 1))
    echo "docs-check:   $((SECONDS - begin)) s"
  done < <(extract "$page" "$blocks")
  stop_started
done

echo
echo "docs-check: not run here (${#skipped[@]}):"
for s in "${skipped[@]}"; do echo "  $s"; done
if [ "$failures" -gt 0 ]; then
  echo "docs-check: $failures failure(s)" >&2
  exit 1
fi
echo "docs-check: $ran block(s) run, all passed"
