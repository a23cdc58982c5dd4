#!/bin/sh
# Developer tool, not shipped: one load-generator run against a fresh
# tandem serve, the numbers docs/BENCHMARKS.md's endpoint-agent section
# reports. Usage:
#   internal/tools/benchagents/run.sh AGENTS INTERVAL DURATION [postgres-url] [replicas]
# Prints the load generator's JSON line and the server's CPU (share of one
# core over the run after enrolment), PostgreSQL's and the load
# generator's CPU likewise, bytes written to disk and peak RSS.
# METRICS=1 adds the server's own view from /metrics over the run: the
# share of check-ins answered within 100 ms, its scheduling p99, and its
# SQLite commits: how many took over 100 ms, and the check-in batches
# (either database): their mean size, how many took over 100 ms, and the
# share of check-ins that waited over 50 ms in the queue for theirs. SERVER_CPUS and
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
${LOADGEN_GOMAXPROCS:+env GOMAXPROCS=$LOADGEN_GOMAXPROCS} ${LOADGEN_CPUS:+taskset -c $LOADGEN_CPUS} "$server" loadgen agents --url "$urls" --enrollment-token "$token" --agents "$agents" --interval "$interval" --duration "$duration" --json ${LOADGEN_FLAGS:-} >"$dir/loadgen.out" 2>&1 &
lg=$!
# CPU is sampled over the run's last 60 s or its whole duration after enrolment.
while ! grep -q "^Enrolled" "$dir/loadgen.out" 2>/dev/null; do sleep 0.5; kill -0 $lg 2>/dev/null || break; done
ticks() { t=0; for p in $(cat "$dir/pids"); do t=$((t + $(awk '{print $14+$15}' /proc/$p/stat))); done; echo $t; }
written() { w=0; for p in $(cat "$dir/pids"); do w=$((w + $(awk '/^write_bytes/{print $2}' /proc/$p/io))); done; echo $w; }
metrics() { curl -s http://127.0.0.1:8470/metrics | grep -v 'status="499"'; }
# PostgreSQL's processes (all of this machine's) and the load generator.
pgticks() { t=0; for p in $(pgrep -u postgres); do t=$((t + $(awk '{print $14+$15}' /proc/$p/stat 2>/dev/null || echo 0))); done; echo $t; }
lgticks() { awk '{print $14+$15}' /proc/$lg/stat 2>/dev/null; }
t0=$(ticks); s0=$(date +%s.%N); w0=$(written); p0=$(pgticks); l0=$(lgticks)
# The generator's CPU is read while it runs: its /proc entry goes with it.
(while kill -0 $lg 2>/dev/null; do lgticks >"$dir/lgticks.tmp" && mv "$dir/lgticks.tmp" "$dir/lgticks"; sleep 0.2; done) &
if [ "${METRICS:-}" = 1 ]; then metrics >"$dir/metrics0"; fi
wait $lg || true
if [ "${METRICS:-}" = 1 ]; then
  metrics >"$dir/metrics1"
  # Over the run: the share of check-ins the first server answered within
  # 100 ms, and the bucket holding the 99th percentile of its goroutines'
  # wait for a CPU (cumulative histograms, so the run is end minus start).
  cat "$dir/metrics0" "$dir/metrics1" | awk -v OFS= '
    /^tandem_http_request_duration_seconds_bucket.*checkin.*le="0.1"/ { w[++nw] = $NF }
    /^tandem_http_request_duration_seconds_count.*checkin/ { c[++nc] = $NF }
    /^go_sched_latencies_seconds_bucket/ { match($0, /le="[^"]*"/); le = substr($0, RSTART + 4, RLENGTH - 5); k = (seen[le]++ ? 1 : 0); s[le, k] = $NF; if (!k) order[++n] = le }
    /^tandem_checkin_batch_duration_seconds_bucket/ { match($0, /le="[^"]*"/); le = substr($0, RSTART + 4, RLENGTH - 5); b[le, (bseen[le]++ ? 1 : 0)] = $NF }
    /^tandem_checkin_queue_wait_seconds_bucket/ { match($0, /le="[^"]*"/); le = substr($0, RSTART + 4, RLENGTH - 5); q[le, (qseen[le]++ ? 1 : 0)] = $NF }
    /^tandem_sqlite_commit_duration_seconds_bucket/ { match($0, /le="[^"]*"/); le = substr($0, RSTART + 4, RLENGTH - 5); k = (cseen[le]++ ? 1 : 0); cs[le, k] = $NF; if (!k) corder[++cn] = le }
    END {
      if (cn > 0) {
        commits = cs["+Inf", 1] - cs["+Inf", 0]; fast = cs["0.1", 1] - cs["0.1", 0]; slowest = "+Inf"
        for (i = cn; i >= 1; i--) if (cs[corder[i], 1] - cs[corder[i], 0] == commits) slowest = corder[i]
        printf "server commits: %d, %d took over 100 ms, the slowest at most %s s\n", commits, commits - fast, slowest
      }
      batches = b["+Inf", 1] - b["+Inf", 0]; queued = q["+Inf", 1] - q["+Inf", 0]
      if (batches > 0) printf "server batches: %d of %.0f check-ins on average; %d took over 100 ms; %.2f%% of check-ins waited over 50 ms in the queue\n", batches, queued / batches, batches - (b["0.1", 1] - b["0.1", 0]), 100 * (queued - (q["0.05", 1] - q["0.05", 0])) / queued
      within = w[nw] - (nw > 1 ? w[1] : 0); total = c[nc] - (nc > 1 ? c[1] : 0)
      if (total > 0) printf "server: %.2f%% of %d check-ins within 100 ms\n", 100 * within / total, total
      all = s[order[n], 1] - s[order[n], 0]
      for (i = 1; i <= n; i++) if (s[order[i], 1] - s[order[i], 0] >= 0.99 * all) { printf "server scheduling p99: at most %.1f ms\n", 1000 * order[i]; break }
    }'
fi
t1=$(ticks); s1=$(date +%s.%N); w1=$(written); p1=$(pgticks)
tail -3 "$dir/loadgen.out"
hz=$(getconf CLK_TCK)
echo "server CPU: $(echo "($t1 - $t0) / $hz / ($s1 - $s0) * 100" | bc -l | cut -c1-5)% of one core (all replicas)"
if [ -n "$pg" ]; then echo "PostgreSQL CPU: $(echo "($p1 - $p0) / $hz / ($s1 - $s0) * 100" | bc -l | cut -c1-5)% of one core (all its processes)"; fi
echo "load generator CPU: $(echo "($(cat "$dir/lgticks") - $l0) / $hz / ($s1 - $s0) * 100" | bc -l | cut -c1-5)% of one core"
echo "server wrote: $(((w1 - w0) / 1048576)) MiB to disk over the run"
for p in $(cat "$dir/pids"); do echo "server $p peak RSS: $(grep VmHWM /proc/$p/status)"; done
grep -h "level=ERROR" "$dir"/server*.log | sort | uniq -c | sort -rn | head -5 | cut -c1-400
if [ -z "$pg" ]; then echo "SQLite log file: $(stat -c %s "$dir"/data/*-wal) bytes"; fi
