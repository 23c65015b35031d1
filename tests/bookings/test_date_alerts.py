"""Date alerts ("tell me when new dates open"): double opt-in, one email a day at most with the
dates opened since the last one, three at most, unsubscribe; private slots never alert."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from bookings.models import DateAlert
from bookings.services.date_alerts import (
    ALERT_TEMPLATE,
    CONFIRM_TEMPLATE,
    GATHER,
    date_alert_confirm,
    date_alert_resume,
    date_alert_subscribe,
    date_alert_unsubscribe,
    date_alerts_send_due,
)
from bookings.services.errors import BookingError
from bookings.services.private_slots import slot_hold_private
from bookings.services.slots import slot_cancel, slot_create_series
from bookings.states import DateAlertStatus
from notifications.models import Notification
from tests.factories import WorkshopFactory

PARIS = ZoneInfo("Europe/Paris")
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # a Monday, 09:00 in Paris
EMAIL = "ada@example.com"
pytestmark = pytest.mark.django_db


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def workshop():
    return WorkshopFactory(timezone="Europe/Paris", title="Raku firing")


def _subscribed(workshop, email=EMAIL) -> DateAlert:
    alert = date_alert_subscribe(workshop_id=workshop.pk, email=email, language="en")
    return date_alert_confirm(alert_id=alert.pk)


def _open(clock, workshop, *local_days_ahead: int, hour: int = 10):
    """Open public dates `days` ahead at `hour` (Paris time), through the calendar's service,
    a second after whatever came before (the clock is frozen)."""
    clock.shift(timedelta(seconds=1))
    slots = []
    for days in local_days_ahead:
        day = (START + timedelta(days=days)).astimezone(PARIS).date()
        starts = datetime(day.year, day.month, day.day, hour, 0, tzinfo=PARIS)
        slots += slot_create_series(
            artisan=workshop.artisan, workshop_id=workshop.pk, starts_at=starts, capacity=6
        )
    return slots


def _alerts(email=EMAIL):
    return list(Notification.objects.filter(template=ALERT_TEMPLATE, recipient=email))


def _confirmations(email=EMAIL):
    return Notification.objects.filter(template=CONFIRM_TEMPLATE, recipient=email).count()


# --- Double opt-in ---------------------------------------------------------------------------


def test_subscribing_sends_a_confirmation_and_alerts_nothing_until_confirmed(clock, workshop):
    alert = date_alert_subscribe(workshop_id=workshop.pk, email=EMAIL, language="fr")
    assert alert.status == DateAlertStatus.PENDING
    confirmation = Notification.objects.get(template=CONFIRM_TEMPLATE)
    assert f"/alerts/{alert.token}/confirm/" in confirmation.body_text
    assert confirmation.language == "fr"
    _open(clock, workshop, 10)
    clock.shift(GATHER + timedelta(minutes=1))
    assert date_alerts_send_due() == 0
    assert _alerts() == []


def test_the_same_address_twice_gives_one_row_and_one_confirmation_an_hour(clock, workshop):
    date_alert_subscribe(workshop_id=workshop.pk, email=EMAIL, language="en")
    clock.shift(timedelta(minutes=59))
    date_alert_subscribe(workshop_id=workshop.pk, email="  Ada@Example.COM ", language="en")
    assert DateAlert.objects.count() == 1
    assert _confirmations() == 1
    clock.shift(timedelta(minutes=2))
    date_alert_subscribe(workshop_id=workshop.pk, email=EMAIL, language="en")
    assert DateAlert.objects.count() == 1
    assert _confirmations() == 2


def test_an_active_subscriber_subscribing_again_gets_no_email(clock, workshop):
    _subscribed(workshop)
    clock.shift(timedelta(hours=3))
    alert = date_alert_subscribe(workshop_id=workshop.pk, email=EMAIL, language="en")
    assert alert.status == DateAlertStatus.ACTIVE
    assert _confirmations() == 1


def test_confirming_twice_is_harmless(clock, workshop):
    alert = _subscribed(workshop)
    assert date_alert_confirm(alert_id=alert.pk).status == DateAlertStatus.ACTIVE


def test_an_unpublished_workshop_takes_no_subscription(clock):
    hidden = WorkshopFactory(is_published=False)
    with pytest.raises(BookingError):
        date_alert_subscribe(workshop_id=hidden.pk, email=EMAIL, language="en")
    assert DateAlert.objects.count() == 0


# --- Alerts ----------------------------------------------------------------------------------


def test_new_dates_are_emailed_in_the_workshops_time_zone_with_links(clock, workshop):
    alert = _subscribed(workshop)
    [slot] = _open(clock, workshop, 10)
    assert date_alerts_send_due() == 0  # dates opened one after the other go together
    clock.shift(GATHER)
    assert date_alerts_send_due() == 1
    [email] = _alerts()
    assert "Raku firing" in email.subject
    # 10:00 in Paris (09:00 UTC): the email shows the workshop's local time.
    assert "10:00" in email.body_text and "09:00" not in email.body_text
    assert f"/workshops/{workshop.slug}/book/{slot.pk}/" in email.body_text
    assert f"/alerts/{alert.token}/unsubscribe/" in email.body_html
    alert.refresh_from_db()
    assert alert.alerts_sent == 1 and alert.alert_due_at is None


def test_at_most_one_email_a_day_later_dates_go_in_the_next_days_email(clock, workshop):
    _subscribed(workshop)
    [first] = _open(clock, workshop, 10)
    clock.shift(GATHER)
    date_alerts_send_due()
    clock.shift(timedelta(hours=2))
    [second] = _open(clock, workshop, 12)
    clock.shift(GATHER)
    assert date_alerts_send_due() == 0
    clock.shift(timedelta(hours=20))
    assert date_alerts_send_due() == 0  # still within the day of the first email
    clock.shift(timedelta(hours=2))
    assert date_alerts_send_due() == 1
    emails = _alerts()
    assert len(emails) == 2
    latest = max(emails, key=lambda n: n.pk)
    assert f"/book/{second.pk}/" in latest.body_text
    assert f"/book/{first.pk}/" not in latest.body_text


def test_a_sweep_late_by_a_day_sends_one_email_with_everything(clock, workshop):
    _subscribed(workshop)
    monday = _open(clock, workshop, 10)
    clock.shift(timedelta(days=1))
    tuesday = _open(clock, workshop, 11, 12)
    clock.shift(timedelta(days=1))
    assert date_alerts_send_due() == 1
    assert date_alerts_send_due() == 0
    [email] = _alerts()
    for slot in monday + tuesday:
        assert f"/book/{slot.pk}/" in email.body_text


def test_each_subscriber_gets_one_email_in_their_language(clock, workshop):
    _subscribed(workshop, "ada@example.com")
    other = date_alert_subscribe(workshop_id=workshop.pk, email="bob@example.com", language="fr")
    date_alert_confirm(alert_id=other.pk)
    _open(clock, workshop, 10)
    clock.shift(GATHER)
    assert date_alerts_send_due(batch_size=1) == 2
    assert len(_alerts("ada@example.com")) == 1
    [french] = _alerts("bob@example.com")
    assert french.language == "fr" and "Nouvelles dates" in french.subject


def test_the_third_alert_is_the_last_and_says_so(clock, workshop):
    alert = _subscribed(workshop)
    for week in range(4):
        _open(clock, workshop, 10 + week)
        clock.shift(timedelta(days=1, minutes=1))
        date_alerts_send_due()
    emails = sorted(_alerts(), key=lambda n: n.pk)
    assert len(emails) == 3
    assert "last alert" not in emails[1].subject
    assert "last alert" in emails[2].subject
    assert "subscribe again" in emails[2].body_text
    assert "/unsubscribe/" not in emails[2].body_text
    alert.refresh_from_db()
    assert alert.status == DateAlertStatus.COMPLETED and alert.alerts_sent == 3


def test_after_the_last_alert_subscribing_again_starts_a_new_opt_in(clock, workshop):
    alert = _subscribed(workshop)
    for week in range(3):
        _open(clock, workshop, 10 + week)
        clock.shift(timedelta(days=1, minutes=1))
        date_alerts_send_due()
    again = date_alert_subscribe(workshop_id=workshop.pk, email=EMAIL, language="en")
    assert again.pk == alert.pk and again.status == DateAlertStatus.PENDING
    assert again.alerts_sent == 0 and _confirmations() == 2
    date_alert_confirm(alert_id=again.pk)
    _open(clock, workshop, 20)
    clock.shift(timedelta(days=1))
    assert date_alerts_send_due() == 1
    assert len(_alerts()) == 4


def test_unsubscribed_addresses_get_nothing(clock, workshop):
    alert = _subscribed(workshop)
    date_alert_unsubscribe(alert_id=alert.pk)
    assert date_alert_unsubscribe(alert_id=alert.pk).status == DateAlertStatus.UNSUBSCRIBED
    _open(clock, workshop, 10)
    clock.shift(timedelta(days=1))
    assert date_alerts_send_due() == 0


def test_unsubscribing_while_due_cancels_the_pending_alert(clock, workshop):
    alert = _subscribed(workshop)
    _open(clock, workshop, 10)
    date_alert_unsubscribe(alert_id=alert.pk)
    clock.shift(timedelta(days=1))
    assert date_alerts_send_due() == 0


def test_resuming_after_unsubscribe_alerts_only_dates_opened_afterwards(clock, workshop):
    alert = _subscribed(workshop)
    date_alert_unsubscribe(alert_id=alert.pk)
    [while_away] = _open(clock, workshop, 10)
    clock.shift(timedelta(minutes=5))
    assert date_alert_resume(alert_id=alert.pk).status == DateAlertStatus.ACTIVE
    [after] = _open(clock, workshop, 11)
    clock.shift(GATHER)
    assert date_alerts_send_due() == 1
    [email] = _alerts()
    assert f"/book/{after.pk}/" in email.body_text
    assert f"/book/{while_away.pk}/" not in email.body_text


def test_a_pending_subscription_cannot_be_resumed(clock, workshop):
    alert = date_alert_subscribe(workshop_id=workshop.pk, email=EMAIL, language="en")
    date_alert_unsubscribe(alert_id=alert.pk)
    with pytest.raises(BookingError):
        date_alert_resume(alert_id=alert.pk)


def test_private_slots_never_alert(clock, workshop):
    alert = _subscribed(workshop)
    starts = START + timedelta(days=10)
    private = slot_hold_private(
        workshop=workshop, starts_at=starts, ends_at=starts + timedelta(hours=2), capacity=4
    )
    alert.refresh_from_db()
    assert alert.alert_due_at is None
    clock.shift(timedelta(days=1))
    assert date_alerts_send_due() == 0
    [public] = _open(clock, workshop, 12)
    clock.shift(GATHER)
    assert date_alerts_send_due() == 1
    [email] = _alerts()
    assert f"/book/{public.pk}/" in email.body_text
    assert f"/book/{private.pk}/" not in email.body_text


def test_dates_cancelled_before_the_sweep_send_nothing_and_count_nothing(clock, workshop):
    alert = _subscribed(workshop)
    [slot] = _open(clock, workshop, 10)
    slot_cancel(artisan=workshop.artisan, slot_id=slot.pk, message="Kiln broken")
    clock.shift(timedelta(days=1))
    assert date_alerts_send_due() == 0
    alert.refresh_from_db()
    assert alert.alerts_sent == 0 and alert.alert_due_at is None


def test_another_workshops_dates_do_not_alert(clock, workshop):
    _subscribed(workshop)
    _open(clock, WorkshopFactory(artisan=workshop.artisan), 10)
    clock.shift(timedelta(days=1))
    assert date_alerts_send_due() == 0


def test_a_long_series_lists_the_first_dates_and_how_many_more(clock, workshop):
    _subscribed(workshop)
    clock.shift(timedelta(seconds=1))
    day = (START + timedelta(days=7)).astimezone(PARIS).date()
    slot_create_series(
        artisan=workshop.artisan,
        workshop_id=workshop.pk,
        starts_at=datetime(day.year, day.month, day.day, 10, tzinfo=PARIS),
        capacity=6,
        until=day + timedelta(weeks=19),
    )
    clock.shift(GATHER)
    date_alerts_send_due()
    [email] = _alerts()
    assert email.body_text.count("/book/") == 12
    assert "And 8 more dates" in email.body_text


def test_the_sweeps_queries_do_not_grow_with_subscribers(
    clock, workshop, django_assert_max_num_queries
):
    def run_with(subscribers: int) -> int:
        for n in range(subscribers):
            _subscribed(workshop, f"s{subscribers}-{n}@example.com")
        _open(clock, workshop, 10 + subscribers)
        clock.shift(timedelta(days=1, hours=1))
        with django_assert_max_num_queries(30) as queries:
            assert (
                date_alerts_send_due()
                == DateAlert.objects.filter(status=DateAlertStatus.ACTIVE).count()
            )
        return len(queries.captured_queries)

    few = run_with(2)
    assert run_with(25) <= few
