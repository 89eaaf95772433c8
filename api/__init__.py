"""The HTTP API: it writes desired state to PostgreSQL and reads observed state back."""
