#!/usr/bin/env bash
# Builds and tests the Vapor integration (Examples/VaporApp): a SwiftPM package of its own, so that Vapor's
# build stays out of the core package's. It depends on the core package by path, so it tests this checkout.
# Installs nothing: scripts/test.sh has already installed what the core package needs (libsqlite3-dev), and
# redis-server and the Python Celery venv ($CELERIAC_INTEROP_PYTHON) that PythonInteropTests uses.
# Arguments go to `swift test` (`scripts/test-vapor.sh --filter WorkerCommand`).
set -euo pipefail
cd "$(dirname "$0")/../Examples/VaporApp"

echo "== building Examples/VaporApp (debug, with tests; the first build compiles Vapor)"
swift build --build-tests
echo "== testing Examples/VaporApp"
swift test --skip-build "$@"
