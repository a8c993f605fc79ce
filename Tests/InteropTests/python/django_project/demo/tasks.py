"""The tasks the Django project sends; a Swift worker (celeriac-example) runs them under the same names."""
from celery import shared_task


@shared_task(name="tasks.add")
def add(x, y):
    return x + y


@shared_task(name="tasks.fail")
def fail(message="boom"):
    raise ValueError(message)
