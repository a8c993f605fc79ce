#!/usr/bin/env bash
# Validates docker-compose.yml and the Dockerfile: `docker compose config` where the client has the compose plugin,
# and always by running each service's command from the debug build against a private redis-server
# (scripts/check_compose.py). Needs a built tree (`swift build`) and the interop venv (scripts/interop-env.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
python="${CELERIAC_INTEROP_PYTHON:-$(scripts/interop-env.sh)}"
exec "$python" scripts/check_compose.py "$(swift build --show-bin-path)"
