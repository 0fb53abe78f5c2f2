"""Writes of the interventions app, one module per sub-domain (reports, interventions, …)."""
