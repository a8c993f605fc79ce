#!/usr/bin/env bash
# Celeriac's Redis worker against Python Celery 5.7 (prefork, threads, solo) on one private redis-server,
# in the same run. Prints a markdown report; raw JSON lines go to $OUT/results.jsonl.
#
#   Benchmarks/redis/run.sh                # one round
#   RUNS=3 Benchmarks/redis/run.sh         # three rounds, medians reported
#
# Env: RUNS (1), KINDS ("swift prefork threads solo"; swift-pf16 = prefetch multiplier 16),
#      SWIFT_N / CELERY_N (noop drain sizes, 50000 / 5000), OUT (a fresh /tmp directory),
#      SKIP_BUILD=1 to use the existing .build-release binary.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
here=$root/Benchmarks/redis
RUNS=${RUNS:-1}
KINDS=${KINDS:-"swift prefork threads solo"}
SWIFT_N=${SWIFT_N:-50000}
CELERY_N=${CELERY_N:-5000}
OUT=${OUT:-$(mktemp -d /tmp/celeriac-redis-bench.XXXXXX)}
mkdir -p "$OUT"
results=$OUT/results.jsonl
: > "$results"

echo "== building celeriac-example (release, .build-release)" >&2
if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
    flock -o /tmp/celeriac-build.lock swift build -c release --product celeriac-example --scratch-path .build-release >&2
    flock -o /tmp/celeriac-build.lock swift build -c release --product celeriac-bench --scratch-path .build-release >&2
fi
bin=$root/.build-release/release/celeriac-example
client=$root/.build-release/release/celeriac-bench
[[ -x $bin && -x $client ]] || { echo "missing $bin or $client" >&2; exit 1; }

python=$(scripts/interop-env.sh)

port=$("$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
    --logfile "$OUT/redis.log" --dir "$OUT" &
redis_pid=$!
trap 'kill "$redis_pid" 2>/dev/null || true; wait "$redis_pid" 2>/dev/null || true' EXIT
for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
echo "== redis-server pid $redis_pid on port $port; results in $OUT" >&2

{
    echo "{\"test\": \"machine\", \"cpus\": $(nproc), \"cpu\": \"$(lscpu | sed -n 's/^Model name: *//p' | head -1)\", \"kernel\": \"$(uname -r)\", \"redis\": \"$(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/')\", \"swift\": \"$(swift --version 2>/dev/null | head -1 | sed 's/"//g')\", \"celery\": \"$("$python" -c 'import celery, kombu, redis; print(celery.__version__, kombu.__version__, redis.__version__)')\", \"python\": \"$("$python" -c 'import platform; print(platform.python_version())')\", \"load\": \"$(cut -d' ' -f1-3 /proc/loadavg)\"}"
} >> "$results"

echo "== redis-benchmark ceiling" >&2
for pipeline in 1 16; do
    redis-benchmark -p "$port" -q -n 200000 -c 50 -P "$pipeline" -t lpush,rpop,hset,zadd 2>/dev/null | tr '\r' '\n' | grep 'requests per second' |
        while read -r line; do
            cmd=${line%%:*}; rps=$(echo "$line" | sed 's/.*: \([0-9.]*\) requests per second.*/\1/')
            echo "{\"test\": \"redis-benchmark\", \"command\": \"$cmd\", \"pipeline\": $pipeline, \"rps\": $rps}"
        done >> "$results"
done
redis-cli -p "$port" flushall >/dev/null

for run in $(seq "$RUNS"); do
    echo "== round $run/$RUNS: publish" >&2
    "$python" "$here/bench.py" publish --port "$port" -n 5000 >> "$results"
    "$client" client -b "redis://127.0.0.1:$port/0" --publish 20000 >> "$results"
    redis-cli -p "$port" flushall >/dev/null
    for kind in $KINDS; do
        echo "== round $run/$RUNS: $kind" >&2
        if [[ $kind == swift* ]]; then
            n=$SWIFT_N; add=$((SWIFT_N / 2)); e2e=5000
        else
            n=$CELERY_N; add=$((CELERY_N / 2)); e2e=2000
        fi
        "$python" "$here/bench.py" worker --port "$port" --kind "$kind" --swift-bin "$bin" --swift-client-bin "$client" \
            --drain-n "$n" --add-n "$add" --e2e-n "$e2e" --rtt-n 1000 --logdir "$OUT" >> "$results"
    done
done

"$python" "$here/report.py" "$results" | tee "$OUT/report.md"
