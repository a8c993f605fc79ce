#!/usr/bin/env bash
# Runs Celeriac's whole test suite: unit tests, protocol vectors, and integration tests that start real
# worker processes on a shared SQLite file. Installs what the build needs on a fresh Debian machine.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
pkg-config --exists sqlite3 2>/dev/null || need_apt+=(libsqlite3-dev pkg-config)
if [ ${#need_apt[@]} -gt 0 ]; then
    echo "== installing ${need_apt[*]}"
    apt-get update -qq && apt-get install -y -qq "${need_apt[@]}"
fi

# The captured Celery messages the protocol tests decode live next to the repository.
if [ -z "${CELERY_PROTOCOL_VECTORS:-}" ] && [ -d ../shared/celery-protocol ]; then
    export CELERY_PROTOCOL_VECTORS="$(cd ../shared/celery-protocol && pwd)"
fi

echo "== building (debug, with tests)"
swift build --build-tests
echo "== testing"
swift test --skip-build "$@"
