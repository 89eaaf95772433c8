"""Ancla's applications contract (`/api/v1`): request and response shapes, snake_case on the wire."""
