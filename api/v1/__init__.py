"""Ancla's applications contract (`/api/v1`) on berth's Kubernetes platform."""
