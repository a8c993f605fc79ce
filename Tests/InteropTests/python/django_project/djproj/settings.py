"""Settings of a minimal Django project that uses Celery the classic way: CELERY_ settings here,
django_celery_results in INSTALLED_APPS, Redis as the broker, results in the database (django-db).

The interop test copies this project into its sandbox and writes database.json next to manage.py with
the PostgreSQL it started ({"host", "port", "name", "user"}); the broker comes from CELERY_BROKER_URL.
"""
import json
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = "celeriac-interop-tests-only"
DEBUG = False
ALLOWED_HOSTS = []
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django_celery_results",
    "demo",
]

_database_file = BASE_DIR / "database.json"
if _database_file.exists():
    _database = json.loads(_database_file.read_text())
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": _database["name"],
            "USER": _database.get("user", "postgres"),
            "PASSWORD": _database.get("password", ""),
            "HOST": _database.get("host", "127.0.0.1"),
            "PORT": str(_database["port"]),
        }
    }
else:
    # Without database.json (the Hummingbird interop test keeps results in Redis, through the
    # CELERY_RESULT_BACKEND environment variable Celery prefers), Django still needs a database to start.
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(BASE_DIR / "db.sqlite3")}}

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "redis://localhost:6379/0")
CELERY_RESULT_BACKEND = "django-db"
CELERY_RESULT_EXTENDED = True
CELERY_TASK_TRACK_STARTED = True
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("INTEROP_QUEUE", "celery")
CELERY_TIMEZONE = "UTC"
