"""bookings forms, one module per flow (see each file)."""
