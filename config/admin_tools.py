"""Shared admin pieces (every app may import config; config imports no app)."""


class ViewOnlyAdminMixin:
    """Rows ops may look at but never add, edit or delete: ledgers, outboxes, orders.

    Their changes go through services (admin actions call them)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
