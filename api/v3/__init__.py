"""Quant Cloud's applications contract under /api/v3."""
