"""What the Pending orders flow needs beside bookings' Order (an order's status history is bookings'
`OrderStatusChange`; a batch below records the decision that caused the moves).

- `PendingOrderState`: one row per confirm-first order that this flow has touched: when the
  artisan's digest mentioned it, when its capture was last claimed by a worker.
- `DecisionBatch`: one bulk accept or refuse by an artisan (the audit row and the summary
  page's source): which orders, which message, what came of each.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from bookings.models import Artisan, Order

from .states import DecisionAction


class PendingOrderState(models.Model):
    order = models.OneToOneField(
        Order, on_delete=models.CASCADE, primary_key=True, related_name="pending_state"
    )
    digest_sent_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # A capture task claims the order for a lease; a duplicate task inside it does nothing.
    capture_claimed_at = models.DateTimeField(null=True, blank=True)
    capture_requested_at = models.DateTimeField(null=True, blank=True)
    capture_attempts = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("pending order state")
        verbose_name_plural = _("pending order states")

    def __str__(self):
        return str(self.order_id)


class DecisionBatch(models.Model):
    artisan = models.ForeignKey(Artisan, on_delete=models.CASCADE, related_name="decision_batches")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    action = models.CharField(_("action"), max_length=8, choices=DecisionAction.choices)
    message = models.TextField(_("message to the customers"), blank=True)
    # Every order asked for, then the outcome of each: done (moved now), already (nothing to
    # do), errors {order id: reason a person can read}.
    order_ids = models.JSONField(default=list)
    done_ids = models.JSONField(default=list)
    already_ids = models.JSONField(default=list)
    errors = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")

    def __str__(self):
        return f"{self.get_action_display()} × {len(self.order_ids)}"
