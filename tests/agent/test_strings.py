"""Counts in the field app read right in French and English (0 and 1 are singular in French)."""

from django.utils import translation

from agent.strings import ui_plurals


def fill(text: str, **params: object) -> str:
    return text % {k: str(v) for k, v in params.items()}


def test_french_plural_forms_per_category():
    with translation.override("fr"):
        plurals = ui_plurals()
    assert fill(plurals["interventions"]["one"], n=1) == "1 intervention"
    assert fill(plurals["photos"]["other"], n=5) == "5 photos"
    assert fill(plurals["reports"]["one"], n=0) == "0 signalement"
    assert fill(plurals["reports"]["many"], n="1 000 000") == "1 000 000 signalements"
    assert fill(plurals["failed"]["other"], n=2) == "2 éléments n'ont pas pu être envoyés"
    assert (
        fill(plurals["tiles"]["other"], done=40, n=140)
        == "Carte enregistrée pour le hors-ligne : 40/140 tuiles"
    )


def test_english_plural_forms_per_category():
    with translation.override("en"):
        plurals = ui_plurals()
    assert fill(plurals["photos"]["one"], n=1) == "1 photo"
    assert fill(plurals["interventions"]["other"], n=0) == "0 interventions"
    assert fill(plurals["failed"]["one"], n=1) == "1 item could not be sent"
