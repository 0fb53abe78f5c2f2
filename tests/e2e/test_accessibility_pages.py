"""RGAA checks over every page, as each role sees it (what axe-core cannot check):

- no English text in the French UI, and no French text in the English one, outside a part
  marked with its own `lang` (RGAA 8.7), data (the users' own names and notes) and proper
  nouns. A word list finds them: common words of one language that are not words of the other;
- no horizontal scrolling at 320 px wide (RGAA 10.11), even with a long unbroken string;
- errors of the dashboard's period and of the export form next to their field, focused.
"""

import contextlib
import re

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from accounts.models import Role
from tests.e2e.conftest import assert_accessible, login
from tests.e2e.page_walk import ROLES, pages_for, sign_in, world_texts
from tests.e2e.test_accessibility_rgaa import ring_share
from tests.factories import PASSWORD, member
from tests.security.world import build_world

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Common English words that are not French words (nor French loanwords such as "zoom",
# "stop", "photo", "notes", "date", "type", "total", "on", "an", "or", "as", "file").
ENGLISH = words(
    """
    the and of with without to from for by is are was be this that these those not no yes you your
    our we it its all any some new time left right shift removals removal washing close closed map
    show hide save cancel delete edit search loading send sent waiting done back next previous more
    less other home start end log out sign in at but can will has have had do does there their what
    which who when where how here team teams reports assets asset jobs job stops day days week month
    year today yesterday tomorrow status category categories street streets address user users
    password username settings download upload filter filters period key keys none unknown error
    errors required optional invalid please click select choose enter submit create created update
    updated add remove name level layer layers legend heatmap dashboard dashboards field fields
    found list about only each every than then january february march april june july august
    september october november december monday tuesday wednesday thursday friday saturday sunday
    """
)
# Common French words that are not English words.
FRENCH = words(
    """
    le la les des du une et est avec sans pour par dans aux au ce cette ces qui que pas tous toutes
    nouvelle nouveau équipe équipes tâche tâches tournée tournées carte quartier quartiers
    signalement signalements envoyer annuler enregistrer supprimer modifier afficher chercher
    rechercher fermer ouvrir retour suivant précédent période catégorie catégories adresse rue rues
    effacement effacé lavage heure heures jour jours semaine mois année aujourd hier demain oui non
    erreur aucun aucune données fichier télécharger connexion déconnexion mot passe utilisateur
    utilisateurs accessibilité janvier février avril mai juin juillet août septembre octobre
    novembre décembre lundi mardi mercredi jeudi vendredi samedi dimanche
    """
)
# Proper nouns and technical names, the same in both languages.
PROPER = (
    "Open311",
    "OpenStreetMap",
    "MapLibre",
    "OpenAPI",
    "Swagger UI",
    "GeoJSON",
    "GeoPackage",
    "Shapefile",
    "OGC API – Features",
    "OGC API - Features",
    "Leaflet",
    "Ronde",
    "Défenseur des droits",
    # French places and terms the English text quotes: an example address, the API's gloss.
    "rue de la Gare",
    "rue de la gare",
    "(signalements)",
    "Signalements.",
)

# Every text a person meets in the page: text nodes and the names and hints of controls, with
# the language they are marked with (the nearest `lang`). Hidden text (display: none) is not
# read; visually hidden text is. Code, scripts and styles are not prose.
TEXTS = """() => {
  const skip = 'script, style, noscript, code, pre, kbd, samp, svg title, [aria-hidden="true"]';
  const langOf = (el) => (el.closest('[lang]')?.getAttribute('lang') || '').slice(0, 2);
  const shown = (el) => el.getClientRects().length > 0 || el.closest('select, .visually-hidden');
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    const text = node.textContent.trim();
    if (!text || !el || el.closest(skip) || !shown(el)) continue;
    out.push({ text, lang: langOf(el), where: el.id || el.className || el.tagName });
  }
  for (const el of document.querySelectorAll('[aria-label], [title], [placeholder], [alt], input[type=submit], input[type=button]')) {
    if (el.closest(skip)) continue;
    for (const attr of ['aria-label', 'title', 'placeholder', 'alt', 'value']) {
      if (attr === 'value' && !el.matches('input[type=submit], input[type=button]')) continue;
      const text = (el.getAttribute(attr) || '').trim();
      if (text) out.push({ text, lang: langOf(el), where: `${el.id || el.tagName}[${attr}]` });
    }
  }
  out.push({ text: document.title, lang: langOf(document.documentElement), where: 'title' });
  return out;
}"""

# Not prose: paths and URLs, identifiers (snake_case, {id}), acronyms and HTTP methods, and
# tokens of letters and digits (keys, hashes: the audit page once showed 'R03sm6be', read as "be").
TECHNICAL = re.compile(r"\S*/\S*|\b\w+_\w+\b|\{\w+\}|\b[A-Z]{2,}\b|\b\w*\d\w*\b")
WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")


def foreign_words(texts: list[dict], language: str, data: list[str]) -> list[str]:
    """'<where>: <text>' for each text of `language`'s page that holds a word of the other one."""
    other = ENGLISH if language == "fr" else FRENCH
    found = []
    for item in texts:
        if item["lang"] and item["lang"] != language:
            continue  # marked as another language: right
        text = item["text"]
        for known in (*data, *PROPER):
            text = text.replace(known, " ")
        text = TECHNICAL.sub(" ", text)
        words = {w.lower() for w in WORD.findall(text)}
        # "aujourd’hui" is one French word; the apostrophe splits English "don't" alike.
        words |= {part for w in words for part in re.split(r"['’]", w)}
        if hits := sorted(words & other):
            found.append(f"{item['where']}: {item['text'][:80]!r} ({', '.join(hits)})")
    return found


def page_title_of(titles: dict[str, set[str]], view: str) -> str:
    return next((title for title, views in titles.items() if view in views), "")


def settle(page) -> None:
    """Wait for the page's own scripts to draw it (the board, the field app, the maps)."""
    # A map may still be fetching tiles after 3 s: its texts are there already.
    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_load_state("networkidle", timeout=3_000)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_page_speaks_the_users_language(browser, live_server, language):
    """Every HTML page of the permission table, each as the first role that may read it (admin,
    dispatcher, agent, viewer, anonymous), and the home page as every role (its menu differs).
    The Django admin, files and the pages needing a mailed token or an identity provider are
    left out (page_walk.SKIPPED). About 2 minutes per language."""
    world = build_world()
    data = world_texts(world)
    problems: list[str] = []
    visited = 0
    seen: set[str] = set()
    titles: dict[str, set[str]] = {}
    for role in ROLES:
        context = browser.new_context(
            locale="fr-FR" if language == "fr" else "en-GB", viewport={"width": 1280, "height": 800}
        )
        sign_in(context, live_server, world, role)
        page = context.new_page()
        page.set_default_timeout(20_000)
        for visit in pages_for(world, role, seen):
            response = page.goto(f"{live_server.url}{visit.path}")
            assert response is not None
            settle(page)
            if response.status >= 400:  # a page the role may read answers
                problems.append(f"{role} {visit.path}: HTTP {response.status}")
                continue
            assert page.evaluate("document.documentElement.lang") == language, visit.path
            visited += 1
            # RGAA 9.1: the page's first heading is its h1 (no hidden h2 before it).
            first = page.evaluate("document.querySelector('h1, h2, h3, h4, h5, h6')?.tagName")
            if first not in ("H1", None):
                problems.append(f"{role} {visit.path}: the first heading is a {first}")
            titles.setdefault(page.title(), set()).add(visit.view_name)
            for problem in foreign_words(page.evaluate(TEXTS), language, data):
                problems.append(f"{role} {visit.path} {problem}")
        context.close()
    assert visited > 50
    # RGAA 8.6: the OGC pages of a collection and of its features are told apart by title.
    collection = page_title_of(titles, "/ogc/collections/interventions?f=html")
    items = page_title_of(titles, "/ogc/collections/interventions/items?f=html")
    assert collection and items and collection != items
    assert not problems, f"{len(problems)} text(s) in the wrong language:\n" + "\n".join(problems)


def test_the_word_lists_catch_what_they_should():
    """The heuristic finds the issue's examples and lets French (and marked English) pass."""
    texts = [
        {"text": "0 removals", "lang": "", "where": "tooltip"},
        {"text": "Zoom avant", "lang": "", "where": "zoom"},
        {"text": "Close popup", "lang": "", "where": "popup"},
        {"text": "self", "lang": "en", "where": "link"},
        {"text": "Aujourd’hui, une tournée de l’équipe Brigade North", "lang": "", "where": "p"},
    ]
    assert foreign_words(texts, "fr", ["Brigade North"]) == [
        "tooltip: '0 removals' (removals)",
        "popup: 'Close popup' (close)",
    ]
    assert foreign_words([{"text": "Lundi 5 mai", "lang": "", "where": "d"}], "en", []) == [
        "d: 'Lundi 5 mai' (lundi, mai)"
    ]


# The pages people work in, checked at 320 px wide and with the keyboard.
MAIN_PAGES = [
    (Role.DISPATCHER, "/"),
    (Role.DISPATCHER, "/map/"),
    (Role.DISPATCHER, "/dispatch/"),
    (Role.DISPATCHER, "/dispatch/templates/new/"),
    (Role.VIEWER, "/dashboards/"),
    (Role.ADMIN, "/geo/imports/"),
    (Role.ADMIN, "/geo/exports/"),
    (Role.ADMIN, "/administration/"),
    (Role.AGENT, "/agent/"),
    (Role.VIEWER, "/accessibilite/"),
    (Role.VIEWER, "/api/reference/"),
]
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [...document.querySelectorAll('body *')].filter((el) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.right > width + 1 && !el.closest('.table-scroll, .maplibregl-map, .leaflet-container, .visually-hidden');
  }).slice(0, 5).map((el) => `${el.tagName}#${el.id}.${el.className} ${Math.round(el.getBoundingClientRect().right)}px`);
  return { scroll: document.documentElement.scrollWidth, width, wide };
}"""
LONG = "Rue" + "-tres-longue-sans-espace" * 8


def test_main_pages_reflow_at_320_px_without_horizontal_scrolling(browser, live_server):
    """RGAA 10.11: at 320 px wide no page scrolls sideways, even when a job's address is a
    long unbroken string (it used to widen the /dispatch/ panel). Tables scroll in their own
    region (.table-scroll), which 10.11 allows."""
    world = build_world()
    report = world.own["report"]
    report.address = LONG
    report.save(update_fields=["address"])
    problems = []
    for role, path in MAIN_PAGES:
        context = browser.new_context(locale="fr-FR", viewport={"width": 320, "height": 640})
        sign_in(context, live_server, world, role)
        page = context.new_page()
        page.goto(f"{live_server.url}{path}")
        settle(page)
        if path == "/dispatch/":
            expect(page.locator("#job-list")).to_contain_text(LONG[:30])
        found = page.evaluate(OVERFLOW)
        if found["scroll"] > found["width"] + 1:
            problems.append(f"{path}: {found['scroll']} px wide for {found['width']} ({found['wide']})")
        context.close()
    assert not problems, "\n".join(problems)


def test_a_bad_dashboard_period_is_said_next_to_its_field_and_focused(page, live_server, community):
    login(page, live_server, member(community, Role.VIEWER).username, PASSWORD)
    page.goto(f"{live_server.url}/dashboards/?period=month&date_from=2025-01-01")
    page.locator("#f-period").select_option("custom")
    page.locator("#f-from").fill("2025-03-10")
    page.locator("#f-to").fill("2025-03-01")
    page.locator("#dash-filters button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("#f-to-error")).to_have_text("La date de fin est avant la date de début.")
    assert page.evaluate("document.activeElement.id") == "f-to"
    assert page.locator("#f-to").get_attribute("aria-describedby") == "f-to-error"
    expect(page.locator("#f-from")).to_have_value("2025-03-10")
    assert_accessible(page)
    # Corrected, the figures come.
    page.locator("#f-to").fill("2025-03-31")
    page.locator("#dash-filters button[type=submit]").click()
    expect(page.locator("[data-kpi=cleanings]")).to_be_visible()
    expect(page.locator("#f-to-error")).to_have_count(0)


def test_a_bad_export_box_is_said_next_to_its_field_and_focused(page, live_server, community):
    login(page, live_server, member(community, Role.ADMIN).username, PASSWORD)
    page.goto(f"{live_server.url}/geo/exports/")
    page.locator("#id_bbox").fill("0.3,46.5")
    page.locator("#export-submit").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("#id_bbox-error")).to_contain_text("Emprise (bbox) : quatre nombres attendus")
    assert page.evaluate("document.activeElement.id") == "id_bbox"
    expect(page.locator("#id_bbox")).to_have_value("0.3,46.5")
    assert_accessible(page)
    # Corrected, the file comes.
    page.locator("#id_bbox").fill("0.3,46.5,0.4,46.6")
    with page.expect_download() as download:
        page.locator("#export-submit").click()
    assert download.value.suggested_filename.endswith(".geojson")


def test_the_api_has_an_accessible_reference_page(page, live_server):
    page.goto(f"{live_server.url}/api/docs/")
    assert page.evaluate("document.documentElement.lang") == "en"  # Swagger UI is in English
    link = page.locator("#accessible-reference a")
    assert link.get_attribute("href") == "/api/reference/"
    link.click()
    expect(page.locator("h1")).to_have_text("Référence de l’API")
    expect(page.locator("h3", has_text="/api/v1/interventions/")).not_to_have_count(0)
    assert page.locator(".api-operation").count() > 40
    assert_accessible(page)


# The focused element, the box its focus indicator must show in, and how: "outside" (an
# outline around it) or "inside" (the maps draw their ring inside their edge).
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const map = el.matches('canvas.maplibregl-canvas') ? el.closest('.maplibregl-map')
    : el.matches('.leaflet-container') ? el : null;
  (map || el).scrollIntoView({ block: 'center', inline: 'nearest' });
  const r = (map || el).getBoundingClientRect();
  return { x: r.x, y: r.y, width: r.width, height: r.height, inside: !!map,
           what: `${el.tagName}#${el.id}.${String(el.className).slice(0, 40)} "${(el.textContent || el.getAttribute('aria-label') || '').trim().slice(0, 30)}"` };
}"""
TAB_PAGES = [
    (Role.DISPATCHER, "/", 30),
    (Role.DISPATCHER, "/map/", 30),
    (Role.DISPATCHER, "/dispatch/", 40),
    (Role.DISPATCHER, "/dispatch/templates/new/", 40),
    (Role.VIEWER, "/dashboards/", 40),
    (Role.ADMIN, "/geo/exports/", 30),
    (Role.ADMIN, "/administration/", 30),
    (Role.AGENT, "/agent/", 30),
]
MARGIN = 8  # px around the element where its outline (3 px, 2 px away) must show


def focus_ring(page, box: dict) -> float:
    """Share of the box's edge where the focus indicator changed the pixels by ≥ 3:1: the
    focused element is shot, blurred, shot again (the sequential focus point stays)."""
    margin = 0 if box["inside"] else MARGIN
    view = page.viewport_size
    assert view is not None
    x0, y0 = max(box["x"] - margin, 0), max(box["y"] - margin, 0)
    x1 = min(box["x"] + box["width"] + margin, view["width"])
    y1 = min(box["y"] + box["height"] + margin, view["height"])
    clip = {"x": x0, "y": y0, "width": x1 - x0, "height": y1 - y0}
    after = page.screenshot(clip=clip, animations="disabled")
    page.evaluate("document.activeElement.blur()")
    before = page.screenshot(clip=clip, animations="disabled")
    return ring_share(before, after, depth=MARGIN)


@pytest.mark.parametrize(("role", "path", "stops"), TAB_PAGES, ids=[p for _r, p, _s in TAB_PAGES])
def test_tab_shows_a_visible_focus_on_every_element(browser, live_server, role, path, stops):
    """RGAA 10.7: Tab through the page (its first `stops` tab stops: the header, the menu, the
    forms and the map; sampled to keep the run short): the focus is never lost to <body>, and
    each focused element shows an indicator of at least 3:1 on 90 % of its edge."""
    world = build_world()
    phone = path == "/agent/"
    size = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 800}
    context = browser.new_context(locale="fr-FR", viewport=size, has_touch=phone)
    sign_in(context, live_server, world, role)
    page = context.new_page()
    page.goto(f"{live_server.url}{path}")
    settle(page)
    problems, seen, ends = [], 0, 0
    for _ in range(stops):
        page.keyboard.press("Tab")
        box = page.evaluate(FOCUSED)
        if box is None:
            # Past the page's last element the focus goes to the browser's own controls
            # (<body> here), and the next Tab starts again at the top: once, not twice running.
            ends += 1
            assert ends == 1, f"{path}: Tab left the focus on <body> ({seen} elements reached)"
            continue
        ends = 0
        seen += 1
        if box["width"] == 0 or box["height"] == 0:
            problems.append(f"{box['what']}: focused but not shown")
            continue
        share = focus_ring(page, box)
        if share < 0.9:
            problems.append(f"{box['what']}: indicator on {share:.0%} of its edge")
    context.close()
    assert seen >= min(stops - 2, 10), f"{path}: only {seen} elements reached with Tab"
    assert not problems, f"{path}:\n" + "\n".join(problems)
