"""Celery tasks: each calls one service (imported inside the task, as everywhere)."""

from celery import shared_task


@shared_task
def expire_overdue() -> int:
    from .services.deadlines import privatisation_expire_overdue

    return privatisation_expire_overdue()


@shared_task
def send_reminders() -> int:
    from .services.deadlines import privatisation_send_reminders

    return privatisation_send_reminders()
