"""The French catalogue is complete, and the language follows the user's choice.

French is the default (LANGUAGE_CODE = "fr"); English is the msgids themselves. The .mo files
are compiled by `make setup` (compilemessages); the catalogue checks read the .po source.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from accounts.models import Role

FR_PO = Path(settings.BASE_DIR) / "locale" / "fr" / "LC_MESSAGES" / "django.po"
# %(name)s / %(n)d / %d (gettext) and {name} / {{name}} (str.format) must survive translation.
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{+\w*\}+")


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str = ""
    msgstr: dict[int, str] = field(default_factory=dict)  # plural index (0 when singular) -> text
    flags: set[str] = field(default_factory=set)
    line: int = 0


def _unquote(text: str) -> str:
    # Non-Latin-1 characters become \uXXXX escapes first, so that unicode_escape sees only
    # escapes and Latin-1 bytes (it decodes bytes as Latin-1).
    return text[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape")


def parse_po(path: Path) -> list[Entry]:
    """A small .po reader: msgid, msgid_plural, msgstr[n], flags, continued strings; skips obsolete."""
    entries: list[Entry] = []
    current = Entry()
    target: tuple[str, int] | None = None

    def flush() -> None:
        nonlocal current
        if current.line:
            entries.append(current)
        current = Entry()

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#~"):
            if not line:
                flush()
                target = None
            continue
        if line.startswith("#,"):
            current.flags |= {f.strip() for f in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith("msgid_plural "):
            current.msgid_plural = _unquote(line[len("msgid_plural ") :])
            target = ("msgid_plural", 0)
        elif line.startswith("msgid "):
            if current.line and target and target[0] == "msgstr":
                flush()
            current.line = current.line or number
            current.msgid = _unquote(line[len("msgid ") :])
            target = ("msgid", 0)
        elif line.startswith("msgstr"):
            match = re.match(r"msgstr(?:\[(\d+)\])? (\".*\")$", line)
            assert match, f"{path}:{number}: cannot read {line!r}"
            index = int(match.group(1) or 0)
            current.msgstr[index] = _unquote(match.group(2))
            target = ("msgstr", index)
        elif line.startswith('"') and target:
            text = _unquote(line)
            if target[0] == "msgid":
                current.msgid += text
            elif target[0] == "msgid_plural":
                current.msgid_plural += text
            else:
                current.msgstr[target[1]] += text
    flush()
    return entries


def test_french_catalogue_has_no_untranslated_or_fuzzy_entry():
    entries = parse_po(FR_PO)
    header, messages = entries[0], entries[1:]
    assert header.msgid == "" and "fuzzy" not in header.flags
    assert "Plural-Forms: nplurals=2; plural=(n > 1);" in header.msgstr[0]
    assert "Language: fr" in header.msgstr[0]
    assert len(messages) > 100  # the whole UI, not a stub

    untranslated = [e.msgid for e in messages if not all(e.msgstr.values())]
    fuzzy = [e.msgid for e in messages if "fuzzy" in e.flags]
    wrong_plurals = [e.msgid for e in messages if e.msgid_plural and sorted(e.msgstr) != [0, 1]]
    # A plural form may leave the number out ("chaque semaine" for "every week"), never add one.
    broken = [
        e.msgid
        for e in messages
        for text in e.msgstr.values()
        if (
            not set(PLACEHOLDER.findall(text)) <= set(PLACEHOLDER.findall(e.msgid_plural))
            if e.msgid_plural
            else sorted(PLACEHOLDER.findall(text)) != sorted(PLACEHOLDER.findall(e.msgid))
        )
    ]
    assert untranslated == [], f"{len(untranslated)} untranslated msgids in {FR_PO}"
    assert fuzzy == [], f"fuzzy entries in {FR_PO}"
    assert wrong_plurals == []
    assert broken == [], "placeholders changed by the translation"


def test_strings_handed_to_javascript_are_in_french():
    """The agent app and the dispatch board get their texts as JSON: they must be translated too."""
    from agent.strings import ui_strings
    from dispatch.strings import board_strings

    # Words spelt the same in both languages (and compass letters shared by both).
    same = {
        "Description",
        "Intervention",
        "Photo",
        "Support",
        "Surface (m²)",
        "Mission",
        "N",
        "E",
        "S",
        "SE",
        "NE",
    }
    same |= {"%(n)s photos"}
    with translation.override("fr"):
        agent = ui_strings()
        board = board_strings()
    assert [en for en, fr in agent.items() if en == fr and en not in same] == []
    assert board["optimised_result"] == "Tournée optimisée : %(n)s étapes ordonnées, %(u)s écartées."
    assert board["statuses"]["report"] == "Signalement ouvert"


@pytest.mark.django_db
def test_login_page_is_french_by_default_and_english_after_switching():
    client = Client()
    page = client.get("/accounts/login/").content.decode()
    assert '<html lang="fr"' in page
    assert "Mot de passe" in page and "Se connecter" in page
    assert "Password" not in page

    response = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"}, follow=True)
    page = response.content.decode()
    assert response.status_code == 200 and response.redirect_chain[-1][0] == "/accounts/login/"
    assert '<html lang="en"' in page
    assert "Password" in page and "Log in" in page
    assert "Mot de passe" not in page

    # And back: the choice is kept in a cookie and can be changed again.
    client.post("/i18n/setlang/", {"language": "fr", "next": "/accounts/login/"})
    assert "Mot de passe" in client.get("/accounts/login/").content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("accept_language", "expected"),
    [
        ("fr", "Quatre nombres attendus\u00a0: minlon,minlat,maxlon,maxlat (EPSG:4326)."),
        (
            "fr-FR,fr;q=0.9,en;q=0.5",
            "Quatre nombres attendus\u00a0: minlon,minlat,maxlon,maxlat (EPSG:4326).",
        ),
        ("en", "Expected four numbers: minlon,minlat,maxlon,maxlat (EPSG:4326)."),
        ("en-GB,en;q=0.9", "Expected four numbers: minlon,minlat,maxlon,maxlat (EPSG:4326)."),
        ("", "Quatre nombres attendus\u00a0: minlon,minlat,maxlon,maxlat (EPSG:4326)."),  # default: French
    ],
)
def test_api_error_follows_accept_language(community, api_as, accept_language, expected):
    client = api_as(community, Role.VIEWER)
    response = client.get(
        "/api/v1/interventions/", {"bbox": "0.1,46.5,0.4"}, HTTP_ACCEPT_LANGUAGE=accept_language
    )
    assert response.status_code == 400
    assert response.json()["bbox"] == [expected]
