"""Celery 5.7's own answers for crontab cases, for CrontabInteropTests.

Reads a JSON list of cases from the file named by argv[1]; each case has the crontab fields (minute, hour,
day_of_week, day_of_month, month_of_year), a timezone and `last` (an ISO time with offset). Prints a JSON list:
for each case the next run Celery computes (`last + remaining_estimate(last)` with the clock at `last`), in UTC,
and whether `is_due(last)` is false a second before that time and true at it.
"""
import json
import sys
from datetime import datetime, timedelta, timezone

from celery import Celery
from celery.schedules import crontab

cases = json.load(open(sys.argv[1]))
out = []
for case in cases:
    app = Celery(set_as_current=False)
    app.conf.timezone = case["timezone"]
    app.conf.enable_utc = True
    last = datetime.fromisoformat(case["last"])
    fields = {key: case[key] for key in ("minute", "hour", "day_of_week", "day_of_month", "month_of_year")}
    schedule = crontab(**fields, app=app, nowfun=lambda: last)
    nxt = last + schedule.remaining_estimate(last)
    before = crontab(**fields, app=app, nowfun=lambda: nxt - timedelta(seconds=1)).is_due(last)
    at = crontab(**fields, app=app, nowfun=lambda: nxt).is_due(last)
    out.append({"next": nxt.astimezone(timezone.utc).isoformat(), "due_before": before.is_due, "due_at": at.is_due})
print(json.dumps(out))
