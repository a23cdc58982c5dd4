#!/bin/sh
# Developer tool, not shipped: one load-generator run against a fresh
# tandem serve, the numbers docs/BENCHMARKS.md's endpoint-agent section
# reports. Usage:
#   internal/tools/benchagents/run.sh AGENTS INTERVAL DURATION [postgres-url] [replicas]
# Prints the load generator's JSON line and the server's CPU (share of one
# core over the run after enrolment) and peak RSS. SERVER_CPUS and
# LOADGEN_CPUS (taskset lists, such as 0 and 1) pin the two. Set PROFILE=1 to build
# the server with net/http/pprof on 127.0.0.1:6060 (internal/tools/profserve).
set -eu
agents=${1:-2000} interval=${2:-200ms} duration=${3:-30s} pg=${4:-} replicas=${5:-1}
dir=$(mktemp -d)
cleanup() {
  kill $(cat "$dir"/pids 2>/dev/null) 2>/dev/null || true
  sleep 1
  if [ -n "${db:-}" ]; then psql -q "$pg" -c "DROP DATABASE IF EXISTS $db" || true; fi
  rm -rf "$dir"
}
trap cleanup EXIT
cd "$(dirname "$0")/../../.."
go build -o "$dir/tandem" ./cmd/tandem
server="$dir/tandem"
if [ "${PROFILE:-}" = 1 ]; then go build -o "$dir/profserve" ./internal/tools/profserve; fi
if [ -n "$pg" ]; then
  db=bench_agents_$$
  psql -q "$pg" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
  url=$(echo "$pg" | sed "s#/[^/?]*\(?\|\$\)#/$db\1#")
  set -- --database-url "$url"
else
  set -- --data "$dir/data"
fi
"$server" migrate "$@" >/dev/null 2>&1 || true
"$server" org add Bench --slug bench "$@" >/dev/null
token=$("$server" enrollment create --org bench "$@" 2>/dev/null)
urls=
i=0
while [ $i -lt "$replicas" ]; do
  port=$((8470 + i))
  if [ "${PROFILE:-}" = 1 ] && [ $i = 0 ]; then
    TANDEM_ADDR=127.0.0.1:$port TANDEM_DATA="$dir/data" TANDEM_DATABASE_URL="${url:-}" "$dir/profserve" >"$dir/server$i.log" 2>&1 &
  else
    ${SERVER_CPUS:+taskset -c $SERVER_CPUS} "$server" serve --addr 127.0.0.1:$port "$@" >"$dir/server$i.log" 2>&1 &
  fi
  echo $! >>"$dir/pids"
  urls="$urls${urls:+,}http://127.0.0.1:$port"
  i=$((i + 1))
done
sleep 2
${LOADGEN_CPUS:+taskset -c $LOADGEN_CPUS} "$server" loadgen agents --url "$urls" --enrollment-token "$token" --agents "$agents" --interval "$interval" --duration "$duration" --json ${LOADGEN_FLAGS:-} >"$dir/loadgen.out" 2>&1 &
lg=$!
# CPU is sampled over the run's last 60 s or its whole duration after enrolment.
while ! grep -q "^Enrolled" "$dir/loadgen.out" 2>/dev/null; do sleep 0.5; kill -0 $lg 2>/dev/null || break; done
ticks() { t=0; for p in $(cat "$dir/pids"); do t=$((t + $(awk '{print $14+$15}' /proc/$p/stat))); done; echo $t; }
t0=$(ticks); s0=$(date +%s.%N)
wait $lg || true
if [ "${METRICS:-}" = 1 ]; then curl -s http://127.0.0.1:8470/metrics | grep "tandem_http_request_duration_seconds_bucket.*checkin\|tandem_http_request_duration_seconds_count.*checkin"; fi
t1=$(ticks); s1=$(date +%s.%N)
tail -3 "$dir/loadgen.out"
hz=$(getconf CLK_TCK)
echo "server CPU: $(echo "($t1 - $t0) / $hz / ($s1 - $s0) * 100" | bc -l | cut -c1-5)% of one core (all replicas)"
for p in $(cat "$dir/pids"); do echo "server $p peak RSS: $(grep VmHWM /proc/$p/status)"; done
grep -h "level=ERROR" "$dir"/server*.log | sort | uniq -c | sort -rn | head -5 | cut -c1-400
if [ -z "$pg" ]; then echo "SQLite log file: $(stat -c %s "$dir"/data/*-wal) bytes"; fi
