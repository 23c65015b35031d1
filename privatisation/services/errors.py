from django.utils.translation import gettext_lazy as _


class PrivatisationError(Exception):
    """A rule refused the action. `message` is for a person; `field` names the form field."""

    default_message = _("This action is not possible.")

    def __init__(self, message=None, *, field: str | None = None):
        self.message = message or self.default_message
        self.field = field
        super().__init__(str(self.message))


class RequestNotFound(PrivatisationError):
    default_message = _("This request does not exist.")


class WrongState(PrivatisationError):
    default_message = _("This request can no longer be changed.")


class DeadlinePassed(PrivatisationError):
    default_message = _("The deadline has passed: this request has expired.")


class SlotUnavailable(PrivatisationError):
    default_message = _("This time is no longer free on the calendar.")
