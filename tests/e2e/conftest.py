"""Browser tests: Playwright driving Debian's chromium against a live Django server.

No browser is downloaded: the executable is /usr/bin/chromium (apt). WebGL for MapLibre
comes from SwiftShader.
"""

import json
import os
from collections.abc import Iterator

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# between browser steps are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("RONDE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-dev-shm-usage",
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def context(browser):
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 800})
    yield context
    context.close()  # its last requests are waited for before the flush (tests/conftest.py)


@pytest.fixture
def page(context):
    page = context.new_page()
    page.set_default_timeout(15_000)
    # What the page's scripts complained of, for a failing test's message.
    page.console_problems = []  # type: ignore[attr-defined]
    page.on("console", lambda m: m.type in ("error", "warning") and page.console_problems.append(m.text))  # type: ignore[attr-defined]
    page.on("pageerror", lambda e: page.console_problems.append(str(e)))  # type: ignore[attr-defined]
    return page


def login(page, live_server, username: str, password: str) -> None:
    """Log in through the real form, as a person would."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.locator("form button[type=submit].primary").click()
    page.wait_for_load_state("networkidle")


def axe_violations(page, impacts: tuple[str, ...] = ("serious", "critical")) -> list[dict]:
    """Run axe-core (self-hosted copy) in the page; return the serious/critical violations."""
    # Loaded from our own origin like any page script: an inline copy would be (rightly)
    # blocked by the Content-Security-Policy.
    origin = page.evaluate("location.origin")
    page.add_script_tag(url=f"{origin}/static/vendor/axe-core/axe.min.js")
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    found = [v for v in result["violations"] if v.get("impact") in impacts]
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]} for v in found
    ]


def assert_accessible(page) -> None:
    violations = axe_violations(page)
    assert not violations, json.dumps(violations, indent=1)
