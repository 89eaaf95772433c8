"""Quant Cloud's applications contract (`/api/v3`)."""
