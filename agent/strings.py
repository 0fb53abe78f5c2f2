"""The field app's UI strings, translated on the server and handed to app.js as JSON.

The keys are the English msgids the JavaScript asks for (`t("Start")`); the page embeds
this dict, so the app keeps its language offline. Messages with a count come as plural
forms per CLDR category (ui_plurals): app.js picks one with Intl.PluralRules in the page's
language, and formats numbers with Intl.NumberFormat (French decimal comma).
"""

from collections.abc import Callable

from django.utils.translation import gettext, gettext_noop, ngettext

MSGIDS = [
    gettext_noop("Online"),
    gettext_noop("Offline: your work is kept on this device"),
    gettext_noop("Nothing waiting"),
    # The outbox summary: "2 interventions, 5 photos waiting" (the list is built from PLURALS).
    gettext_noop("%(items)s waiting"),
    gettext_noop("The map is not saved for offline use yet: it will be when the network is back."),
    gettext_noop(
        "This zone is too large to keep all of its map offline: saved down to zoom level %(z)s "
        "(at most %(cap)s tiles per mission)."
    ),
    gettext_noop("Syncing…"),
    gettext_noop("Everything is sent."),
    gettext_noop("The network is not reachable; will retry."),
    gettext_noop("Please log in again to send your work."),
    gettext_noop("My missions"),
    gettext_noop("Today"),
    gettext_noop("Coming"),
    gettext_noop("No mission for today or the coming days."),
    gettext_noop("No mission today."),
    gettext_noop("Mission list saved on this device (offline)."),
    gettext_noop("Could not load the missions and none are saved on this device."),
    gettext_noop("Cancelled"),
    gettext_noop("Stops"),
    gettext_noop("Map"),
    gettext_noop("Back to missions"),
    gettext_noop("Back to the mission"),
    gettext_noop("Report a new tag"),
    gettext_noop("Open"),
    gettext_noop("Done"),
    gettext_noop("Not done"),
    gettext_noop("In progress"),
    gettext_noop("To do"),
    gettext_noop("Go there"),
    gettext_noop("Open in the maps app"),
    gettext_noop("Open in the browser map"),
    gettext_noop("%(d)s away, towards %(b)s"),
    gettext_noop("%(d)s on foot, towards %(b)s"),
    gettext_noop("Walking route to %(stop)s: %(d)s."),
    gettext_noop("No walking route to %(stop)s on the saved streets: straight line shown."),
    gettext_noop("Position unknown"),
    gettext_noop("Start"),
    gettext_noop("Started at"),
    gettext_noop("Ended at"),
    gettext_noop("Before photo"),
    gettext_noop("After photo"),
    gettext_noop("Take or choose a photo"),
    gettext_noop("Next"),
    gettext_noop("Previous"),
    gettext_noop("What was done"),
    gettext_noop("Support"),
    gettext_noop("Surface (m²)"),
    gettext_noop("For example %(x)s"),  # the decimal format the surface field expects
    gettext_noop("Method"),
    gettext_noop("Product"),
    gettext_noop("Offensive content"),
    gettext_noop("Notes"),
    gettext_noop("Finish: work done"),
    gettext_noop("Reason"),
    gettext_noop("Save: not done"),
    gettext_noop("Category"),
    gettext_noop("Description"),
    gettext_noop("Send the report"),
    gettext_noop("Report saved; it will be sent with the next sync."),
    gettext_noop("Intervention saved; it will be sent with the next sync."),
    gettext_noop("Intervention sent."),
    gettext_noop("Between %(min)s and %(max)s m²."),
    gettext_noop("Intervention not sent: the server refused part of it."),
    gettext_noop("See why"),
    gettext_noop("Waiting to be sent"),
    gettext_noop("Sent in the last two days"),
    gettext_noop("Send again"),
    gettext_noop("Resending is safe: the server ignores what it already has."),
    gettext_noop("Intervention"),
    gettext_noop("Photo"),
    gettext_noop("Report"),
    gettext_noop("Error"),
    gettext_noop("Step %(n)s of %(t)s"),
    gettext_noop("The map could not be shown on this device; use the list."),
    gettext_noop("Your position"),
    gettext_noop("Route"),
    gettext_noop("Choose…"),
    gettext_noop("Mission cancelled: work you record is kept and flagged to the dispatcher."),
    gettext_noop("Stop not found in this mission."),
    gettext_noop("Mission not found on this device."),
    gettext_noop("Use my position"),
    gettext_noop("Position: %(p)s"),
    gettext_noop("A photo is needed."),
    gettext_noop("A position is needed."),
    gettext_noop("N"),
    gettext_noop("NE"),
    gettext_noop("E"),
    gettext_noop("SE"),
    gettext_noop("S"),
    gettext_noop("SW"),
    gettext_noop("W"),
    gettext_noop("NW"),
]


# Messages with a number, by key. Each is a literal ngettext call so that makemessages finds it.
PLURALS: dict[str, Callable[[int], str]] = {
    "interventions": lambda n: ngettext("%(n)s intervention", "%(n)s interventions", n),
    "photos": lambda n: ngettext("%(n)s photo", "%(n)s photos", n),
    "reports": lambda n: ngettext("%(n)s report", "%(n)s reports", n),
    "failed": lambda n: ngettext("%(n)s item could not be sent", "%(n)s items could not be sent", n),
    "tiles": lambda n: ngettext(
        "Map saved for offline use: %(done)s/%(n)s tile", "Map saved for offline use: %(done)s/%(n)s tiles", n
    ),
}
# One number per CLDR plural category the browser's Intl.PluralRules may answer for the
# languages we ship (fr: one = 0 and 1, many = 1 000 000…; en: one = 1): gettext picks the
# form for that number, the page picks the category for its number.
CATEGORY_SAMPLES = {"one": 1, "many": 1_000_000, "other": 2}


def ui_strings() -> dict[str, str]:
    """{English msgid: text in the active language}."""
    return {m: gettext(m) for m in MSGIDS}


def ui_plurals() -> dict[str, dict[str, str]]:
    """{key: {CLDR plural category: text in the active language}}, for app.js's `tn()`."""
    return {key: {cat: form(n) for cat, n in CATEGORY_SAMPLES.items()} for key, form in PLURALS.items()}
