from celery import shared_task

from .services import deadlines


@shared_task
def expire_overdue() -> int:
    return deadlines.privatisation_expire_overdue()


@shared_task
def send_reminders() -> int:
    return deadlines.privatisation_send_reminders()
