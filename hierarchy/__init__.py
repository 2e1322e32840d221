"""Network hierarchy review and inspection frequencies."""
