"""Signals of the accounts layer, for the layers above it to act on (they may not be imported here)."""

from django.dispatch import Signal

# Sent by accounts.services.community_create inside its transaction, with `community` and
# `default_categories` (bool): interventions answers by creating the default taxonomy
# (interventions.services.taxonomy), so every path that creates a community gets it.
community_created = Signal()
