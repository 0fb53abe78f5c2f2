"""A web worker loads at start what its first requests would otherwise load (config/wsgi.py)."""

import json
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]

# Run in a fresh interpreter: in the test process, earlier tests have long built everything.
PROBE = """
import json
import django
django.setup()
import config.wsgi  # what gunicorn does in each worker
from django.urls import get_resolver
from django.utils.translation import trans_real
print(json.dumps({
    "reverse_indexes": sorted(get_resolver()._reverse_dict),
    "catalogues": sorted(trans_real._translations),
}))
"""


def test_a_worker_starts_with_every_languages_urls_and_catalogue():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, cwd=ROOT)
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    languages = sorted(code for code, _name in settings.LANGUAGES)
    # Without them, a worker's first photo PUT built the French reverse index under load (~50 ms
    # of CPU), and the first English request built the English one.
    assert loaded["reverse_indexes"] == languages
    assert set(languages) <= set(loaded["catalogues"])
