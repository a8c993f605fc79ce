#!/usr/bin/env bash
# Celeriac's RabbitMQ worker against Python Celery 5.7 (prefork, threads, solo) on one private RabbitMQ node, in the
# same run. Prints a markdown report; raw JSON lines go to $OUT/results.jsonl.
#
#   Benchmarks/rabbitmq/run.sh                # one round
#   RUNS=3 Benchmarks/rabbitmq/run.sh         # three rounds, medians reported
#
# Env: RUNS (1), KINDS ("swift swift-pf16 prefork threads"; swift-pf16 = prefetch multiplier 16), SWIFT_N / CELERY_N (noop drain sizes, 50000 / 5000),
#      BACKEND (rpc://; any result backend URL both sides speak), OUT (a fresh /tmp directory),
#      SKIP_BUILD=1 to use the existing .build-release binaries.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
here=$root/Benchmarks/rabbitmq
RUNS=${RUNS:-1}
KINDS=${KINDS:-"swift swift-pf16 prefork threads"}
SWIFT_N=${SWIFT_N:-50000}
CELERY_N=${CELERY_N:-5000}
BACKEND=${BACKEND:-rpc://}
OUT=${OUT:-$(mktemp -d /tmp/celeriac-rabbitmq-bench.XXXXXX)}
mkdir -p "$OUT"
results=$OUT/results.jsonl
: > "$results"

echo "== building celeriac-example and celeriac-bench (release, .build-release)" >&2
if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
    flock -o /tmp/celeriac-build.lock swift build -c release --product celeriac-example --scratch-path .build-release >&2
    flock -o /tmp/celeriac-build.lock swift build -c release --product celeriac-bench --scratch-path .build-release >&2
fi
bin=$root/.build-release/release/celeriac-example
client=$root/.build-release/release/celeriac-bench
[[ -x $bin && -x $client ]] || { echo "missing $bin or $client" >&2; exit 1; }

python=$(scripts/interop-env.sh)
rabbit=${RABBITMQ_BIN:-/usr/lib/rabbitmq/bin}   # not /usr/sbin/rabbitmq-server: that wrapper switches user
[[ -x $rabbit/rabbitmq-server ]] || { echo "rabbitmq-server not found in $rabbit (apt-get install rabbitmq-server)" >&2; exit 1; }

# A private node on free ports (see ../shared/celery-protocol/AMQP.md §1): own node name, epmd, mnesia, cookie.
freeport() { "$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(freeport); dist=$(freeport); epmd=$(freeport)
node=$OUT/node; mkdir -p "$node/mnesia" "$node/log"
echo '[].' > "$node/enabled_plugins"
printf 'loopback_users = none\nlisteners.tcp.default = 127.0.0.1:%s\n' "$port" > "$node/rabbitmq.conf"
export RABBITMQ_NODENAME=bench$port@localhost RABBITMQ_NODE_PORT=$port RABBITMQ_DIST_PORT=$dist ERL_EPMD_PORT=$epmd \
       RABBITMQ_MNESIA_BASE=$node/mnesia RABBITMQ_LOG_BASE=$node/log RABBITMQ_PID_FILE=$node/node.pid \
       RABBITMQ_CONFIG_FILE=$node/rabbitmq RABBITMQ_ENABLED_PLUGINS_FILE=$node/enabled_plugins
ctl=$OUT/rabbitmqctl
printf '#!/bin/sh\nexport HOME=%s\nexec %s/rabbitmqctl -n %s "$@"\n' "$node" "$rabbit" "$RABBITMQ_NODENAME" > "$ctl"; chmod +x "$ctl"
HOME=$node "$rabbit/rabbitmq-server" > "$node/stdout.log" 2>&1 < /dev/null &
wrapper_pid=$!
cleanup() {
    "$ctl" stop "$node/node.pid" >/dev/null 2>&1 || kill "$(cat "$node/node.pid" 2>/dev/null)" 2>/dev/null || true
    wait "$wrapper_pid" 2>/dev/null || true
    HOME=$node epmd -port "$epmd" -kill >/dev/null 2>&1 || true
}
trap cleanup EXIT
"$ctl" wait --timeout 120 "$node/node.pid" >/dev/null
broker_pid=$(cat "$node/node.pid")
url="amqp://guest:guest@127.0.0.1:$port//"
version=$("$ctl" version 2>/dev/null || echo unknown)
echo "== RabbitMQ $version pid $broker_pid on port $port; results in $OUT" >&2

{
    echo "{\"test\": \"machine\", \"cpus\": $(nproc), \"cpu\": \"$(lscpu | sed -n 's/^Model name: *//p' | head -1)\", \"kernel\": \"$(uname -r)\", \"rabbitmq\": \"$version\", \"swift\": \"$(swift --version 2>/dev/null | head -1 | sed 's/"//g')\", \"celery\": \"$("$python" -c 'import celery, kombu, amqp; print(celery.__version__, kombu.__version__, amqp.__version__)')\", \"python\": \"$("$python" -c 'import platform; print(platform.python_version())')\", \"load\": \"$(cut -d' ' -f1-3 /proc/loadavg)\", \"backend\": \"$BACKEND\"}"
} >> "$results"

for run in $(seq "$RUNS"); do
    echo "== round $run/$RUNS: publish (plain AMQP publisher, Swift client, Python client; with and without confirms)" >&2
    "$client" amqp-publish -b "$url" --count 50000 --mode raw >> "$results"
    "$client" amqp-publish -b "$url" --count 20000 --mode celeriac >> "$results"
    "$python" "$here/bench.py" publish --url "$url" -n 5000 >> "$results"
    "$python" "$here/bench.py" publish --url "$url" -n 3000 --confirm >> "$results"
    for kind in $KINDS; do
        echo "== round $run/$RUNS: $kind" >&2
        if [[ $kind == swift* ]]; then n=$SWIFT_N; e2e=5000; else n=$CELERY_N; e2e=2000; fi
        "$python" "$here/bench.py" worker --url "$url" --backend "$BACKEND" --broker-pid "$broker_pid" --ctl "$ctl" --kind "$kind" \
            --swift-bin "$bin" --swift-client-bin "$client" --drain-n "$n" --e2e-n "$e2e" --rtt-n 1000 --logdir "$OUT" >> "$results"
    done
done

"$python" "$here/report.py" "$results" | tee "$OUT/report.md"
