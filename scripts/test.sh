#!/usr/bin/env bash
# Runs Celeriac's whole test suite: unit tests, protocol vectors, and integration tests that start real
# worker processes on a shared SQLite file. Installs what the build needs on a fresh Debian machine.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
pkg-config --exists sqlite3 2>/dev/null || need_apt+=(libsqlite3-dev pkg-config)
# The RESP client's integration tests start their own redis-server instances (plain, AUTH, TLS, Sentinel) on free
# ports, and make TLS certificates with openssl; with CI=true they fail when redis-server is missing.
installing_redis=no
command -v redis-server >/dev/null 2>&1 || { need_apt+=(redis-server); installing_redis=yes; }
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
# The AMQP client's integration tests start private RabbitMQ nodes (as the current user, on free ports).
installing_rabbitmq=no
command -v rabbitmq-server >/dev/null 2>&1 || [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || { need_apt+=(rabbitmq-server); installing_rabbitmq=yes; }
# The dashboard's browser test drives Debian's chromium through chromium-driver (selenium, in the interop venv).
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need_apt+=(chromium-driver)
# The PostgreSQL backend's tests start private clusters (initdb + pg_ctl on free ports, as postgres when root).
installing_postgresql=no
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || { need_apt+=(postgresql); installing_postgresql=yes; }
if [ ${#need_apt[@]} -gt 0 ]; then
    echo "== installing ${need_apt[*]}"
    apt-get update -qq && apt-get install -y -qq "${need_apt[@]}"
fi
# The package may start a system-wide server; the tests don't use it, so don't leave one running.
if [ "$installing_redis" = yes ] && command -v systemctl >/dev/null 2>&1; then
    systemctl disable --now redis-server >/dev/null 2>&1 || true
fi
if [ "$installing_redis" = yes ] && command -v service >/dev/null 2>&1; then
    service redis-server stop >/dev/null 2>&1 || true
fi

if [ "$installing_rabbitmq" = yes ] && command -v systemctl >/dev/null 2>&1; then
    systemctl disable --now rabbitmq-server >/dev/null 2>&1 || true
fi
if [ "$installing_rabbitmq" = yes ] && command -v service >/dev/null 2>&1; then
    service rabbitmq-server stop >/dev/null 2>&1 || true
fi

# Debian's package creates and starts a cluster "main" on 5432; the tests use their own, so stop it.
if [ "$installing_postgresql" = yes ]; then
    if command -v pg_ctlcluster >/dev/null 2>&1; then
        for version in /usr/lib/postgresql/*; do pg_ctlcluster "$(basename "$version")" main stop >/dev/null 2>&1 || true; done
    fi
    command -v systemctl >/dev/null 2>&1 && { systemctl disable --now postgresql >/dev/null 2>&1 || true; }
fi

# The captured Celery messages the protocol tests decode live next to the repository.
if [ -z "${CELERY_PROTOCOL_VECTORS:-}" ] && [ -d ../shared/celery-protocol ]; then
    export CELERY_PROTOCOL_VECTORS="$(cd ../shared/celery-protocol && pwd)"
fi

# The interop tests run real Python Celery 5.7 (client and worker) against Celeriac on their own redis-servers,
# from a venv in .build/interop-venv (python3-venv is installed when the system python lacks venv).
echo "== preparing the Python Celery venv for the interop tests"
interop_python="$(scripts/interop-env.sh)"
export CELERIAC_INTEROP_PYTHON="$interop_python"

echo "== building (debug, with tests)"
swift build --build-tests
# With arguments (`scripts/test.sh --filter Redis`), one run with them. Without, three phases: the unit and
# single-server suites in parallel, then the suites that start RabbitMQ nodes and PostgreSQL clusters, then the
# multi-process, Python interop and browser suites; then the compose check and the Vapor package. On 2 cores, starting Erlang VMs, PostgreSQL clusters and worker
# processes all at once starved the fast suites' timing checks.
if [ $# -gt 0 ]; then
    echo "== testing"
    swift test --skip-build "$@"
    exit
fi
heavy='^(CeleriacAMQPTests|CeleriacRabbitMQTests|CeleriacPostgresTests)\.'
processes='^(IntegrationTests|InteropTests|CeleriacDashboardTests)\.'
status=0
echo "== testing (1/3): unit and single-server suites"
swift test --skip-build --skip "$heavy" --skip "$processes" || status=1
echo "== testing (2/3): RabbitMQ and PostgreSQL suites"
# One test at a time: several RabbitMQ nodes, Python workers and kill -9 faults at once on 2 cores made their
# timing-sensitive checks (delay levels, redelivery order) flaky; serial, this phase takes about 4 minutes.
swift test --skip-build --no-parallel --filter "$heavy" || status=1
echo "== testing (3/3): multi-process and Python interop suites"
swift test --skip-build --filter "$processes" || status=1
echo "== checking docker-compose.yml and the Dockerfile by running their services"
bash scripts/check-compose.sh || status=1
echo "== building and testing the Vapor integration (its own package: Examples/VaporApp)"
bash scripts/test-vapor.sh || status=1
exit $status
