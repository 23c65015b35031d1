"""bookings services, one module per flow (see each file)."""
