"""Admin pieces every app shares. They live in notifications, the lowest app, because every
app may import it (no app imports config: see the import contract in pyproject.toml)."""


class ViewOnlyAdminMixin:
    """Rows ops may look at but never add, edit or delete: ledgers, outboxes, orders.

    Their changes go through services (admin actions call them)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
