"""A real OpenID Connect provider (django-oidc-provider) the sign-in tests run on loopback.

It is a separate Django project in its own process (serve.py): its own settings, a SQLite
database in a temporary directory, its own users and clients, and its own cookie names so that
a browser-like client talking to it and to Ronde keeps the two sessions apart.
"""
