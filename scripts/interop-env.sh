#!/usr/bin/env bash
# Creates (idempotently) the Python virtual environment the interop tests run real Celery from:
# .build/interop-venv with celery[redis] 5.7 (plain celery lacks `packaging`, which kombu's Redis transport
# imports). Prints the venv's python path on standard output; everything else goes to standard error.
#
# Env: CELERIAC_INTEROP_VENV overrides the venv directory; PYTHON the interpreter that creates it.
set -euo pipefail
cd "$(dirname "$0")/.."

venv="${CELERIAC_INTEROP_VENV:-.build/interop-venv}"
python="${PYTHON:-python3}"
spec='celery[redis]==5.7.*'
# The PostgreSQL interop tests: a Django project with django-celery-results (django-db), and Celery's own
# db+postgresql+psycopg2 backend (SQLAlchemy). Django 6 needs Python 3.12; pip picks 5.2 LTS on older ones.
sql_specs=('django>=5.2,<7' 'django-celery-results==2.6.*' 'psycopg2-binary' 'sqlalchemy>=2')
# Python's zoneinfo needs time zone data for the crontab tests (Asia/Seoul, America/New_York); a minimal system
# may have no /usr/share/zoneinfo, so the venv carries its own.
sql_specs+=('tzdata')

if ! command -v "$python" >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1; then
        echo "== installing python3 python3-venv" >&2
        apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv >&2
    else
        echo "interop-env: $python not found" >&2
        exit 1
    fi
fi

install_venv_package() {
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "interop-env: '$python -m venv' does not work and apt-get is not available" >&2
        exit 1
    fi
    local minor
    minor="$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
    echo "== installing python3-venv (python $minor)" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >&2 \
        || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "python${minor}-venv" >&2
}

# Debian's python3 splits venv's ensurepip into python3-venv; a pyenv or python.org build has it built in.
if ! "$python" -m venv --help >/dev/null 2>&1 || ! "$python" -c 'import ensurepip' >/dev/null 2>&1; then
    install_venv_package
fi

vpy="$venv/bin/python"
# A venv whose interpreter is gone (python upgraded, pyenv version removed) is rebuilt.
if [ -d "$venv" ] && ! "$vpy" -c 'import sys' >/dev/null 2>&1; then
    echo "== removing broken venv $venv" >&2
    rm -rf "$venv"
fi
if [ ! -x "$vpy" ]; then
    echo "== creating $venv" >&2
    mkdir -p "$(dirname "$venv")"
    if ! "$python" -m venv "$venv" >&2; then
        # e.g. "ensurepip is not available" on a Debian python without python3-venv.
        rm -rf "$venv"
        install_venv_package
        "$python" -m venv "$venv" >&2
    fi
fi

ok() {
    "$vpy" - <<'PY' >/dev/null 2>&1
import celery, kombu, redis, packaging, kombu.transport.redis  # noqa: F401
assert celery.__version__.startswith("5.7."), celery.__version__
PY
}
if ! ok; then
    echo "== installing $spec into $venv" >&2
    "$vpy" -m pip install --quiet --disable-pip-version-check --no-input "$spec" >&2
    ok || { echo "interop-env: celery 5.7 with the Redis transport does not import in $venv" >&2; exit 1; }
fi

sql_ok() {
    "$vpy" -c 'import django, django_celery_results, psycopg2, sqlalchemy, tzdata' >/dev/null 2>&1
}
if ! sql_ok; then
    echo "== installing ${sql_specs[*]} into $venv" >&2
    "$vpy" -m pip install --quiet --disable-pip-version-check --no-input "${sql_specs[@]}" >&2
    sql_ok || { echo "interop-env: django, django-celery-results, psycopg2 or sqlalchemy does not import in $venv" >&2; exit 1; }
fi

# The monitoring tests run real Flower against Swift workers, and the dashboard's browser test drives Debian's
# chromium through chromium-driver with selenium.
monitor_specs=("flower==2.0.*" "selenium==4.*" "pyyaml==6.*")
monitor_ok() {
    "$vpy" -c 'import flower, selenium, yaml' >/dev/null 2>&1
}
if ! monitor_ok; then
    echo "== installing ${monitor_specs[*]} into $venv" >&2
    "$vpy" -m pip install --quiet --disable-pip-version-check --no-input "${monitor_specs[@]}" >&2
    monitor_ok || { echo "interop-env: flower or selenium does not import in $venv" >&2; exit 1; }
fi

echo "$(cd "$(dirname "$vpy")" && pwd)/$(basename "$vpy")"
