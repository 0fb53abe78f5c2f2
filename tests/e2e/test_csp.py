"""The Content-Security-Policy blocks nothing our own pages need (inline scripts carry the
nonce, MapLibre's blob: workers run, images from data:/blob: show)."""

import pytest

from accounts.models import Role
from tests.e2e.conftest import login
from tests.factories import PASSWORD, CategoryFactory, InterventionFactory, TeamFactory, member

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Runs before any page script (Playwright injects it outside the page's CSP).
LISTEN = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__csp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sourceFile || '') + ':' + e.lineNumber);
});
"""


def test_pages_run_under_the_csp_without_violations(page, live_server, community):
    user = member(community, Role.ADMIN, is_staff=True, is_superuser=True)
    team = TeamFactory(community=community)
    team.members.add(user)
    job = InterventionFactory(community=community, category=CategoryFactory(community=community))
    console: list[str] = []
    page.on(
        "console",
        lambda msg: (
            console.append(msg.text)
            if "Content Security Policy" in msg.text or "Refused to" in msg.text
            else None
        ),
    )
    page.add_init_script(LISTEN)
    login(page, live_server, user.username, PASSWORD)
    paths = [
        "/",
        "/map/",
        "/agent/",
        "/admin/",
        f"/admin/interventions/intervention/{job.pk}/change/",  # GeoDjango map widget
        "/api/docs/",
        "/dashboards/",
        "/dispatch/",
    ]
    violations: dict[str, list[str]] = {}
    for path in paths:
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None and response.status < 400, f"{path}: {response and response.status}"
        assert "nonce-" in (response.headers.get("content-security-policy") or "")
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(500)  # map workers and late scripts
        found = page.evaluate("window.__csp")
        if found:
            violations[path] = found
    assert not violations, violations
    assert not console, console


def test_the_swagger_ui_renders_under_the_csp(page, live_server):
    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".swagger-ui .information-container", timeout=15_000)
