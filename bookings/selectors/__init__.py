"""bookings selectors, one module per flow (see each file)."""
