"""Writes of the geo app (one module per sub-domain)."""
