from django.utils.translation import gettext_lazy as _


class PendingOrderError(Exception):
    """A rule of the Pending orders flow said no. `message` is for a person; `field` names the form field."""

    default_message = _("This action is not possible.")

    def __init__(self, message=None, *, field: str | None = None):
        self.message = message or self.default_message
        self.field = field
        super().__init__(str(self.message))


class OrdersNotFound(PendingOrderError):
    """Some ids are not this artisan's confirm-first orders (views answer 404)."""

    default_message = _("Some of these orders do not exist.")
