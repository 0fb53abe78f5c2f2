"""python -m tests.accounts.oidc_provider.serve CONFIG.json: set up the provider, serve it.

CONFIG: {"port": int, "db": path, "site_url": "http://localhost:<port>",
         "users": [{"username", "password", "email"}],
         "clients": [{"client_id", "client_secret", "redirect_uri", "post_logout_redirect_uri"}]}
Prints READY on stdout once it listens.
"""

import json
import os
import sys
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def main(config_path: str) -> None:
    config = json.loads(Path(config_path).read_text())
    os.environ["RONDE_IDP_DB"] = config["db"]
    os.environ["RONDE_IDP_SITE_URL"] = config["site_url"]
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.accounts.oidc_provider.settings"
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.core.wsgi import get_wsgi_application
    from oidc_provider.models import Client, ResponseType

    call_command("migrate", verbosity=0)
    call_command("creatersakey", verbosity=0)
    for u in config["users"]:
        User.objects.create_user(username=u["username"], password=u["password"], email=u["email"])
    code = ResponseType.objects.get(value="code")
    for c in config["clients"]:
        client = Client.objects.create(
            name=c["client_id"],
            client_type="confidential",
            client_id=c["client_id"],
            client_secret=c["client_secret"],
            require_consent=False,
            reuse_consent=True,
        )
        client.redirect_uris = [c["redirect_uri"]]
        client.post_logout_redirect_uris = [c["post_logout_redirect_uri"]]
        client.scope = ["openid", "email", "profile"]
        client.save()
        client.response_types.add(code)
    server = make_server(
        "127.0.0.1", config["port"], get_wsgi_application(), server_class=_Server, handler_class=_QuietHandler
    )
    print("READY", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1])
