"""Shared plumbing under every app: SQL runner, API base, scoped admin, security headers.

The bottom layer with `accounts/` and `audit/`: it imports no app above it (geo,
interventions, the UI apps). `config/` only wires it (settings, urls, wsgi).
"""
