"""interop_tasks with a short visibility timeout and late acks, for the restore tests
(Tests/InteropTests/RestoreAcrossLanguagesTests.swift).

  broker_transport_options = {"visibility_timeout": RESTORE_VISIBILITY_TIMEOUT or 2}
      so restore_visible (run by the worker at startup, in on_poll_init) takes back the messages a killed
      worker left in `unacked` after 2 s instead of 1 h;
  task_acks_late = True
      a message stays in `unacked` while its task runs, so a worker killed mid-task leaves it there.

Run a worker with:  celery -A restore_tasks worker -P solo -c 1 -Q q --without-gossip --without-mingle -l info
"""
import os

from interop_tasks import app  # noqa: F401  (the app and its tasks: tasks.sleep, tasks.add, ...)

app.conf.update(
    broker_transport_options={"visibility_timeout": float(os.environ.get("RESTORE_VISIBILITY_TIMEOUT", "2"))},
    task_acks_late=True,
)
