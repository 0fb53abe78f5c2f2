"""Password rules Django lacks.

Django's UserAttributeSimilarityValidator compares the whole password with the username
(SequenceMatcher ratio >= 0.7), so the username typed twice ("lucielucie", ratio 0.67) passes.
"""

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MIN_OTHER_CHARACTERS = 4  # what must remain once the username is taken out


class UsernameRepeatedValidator:
    """Refuse a password made of the username (repeated, or with a few characters added)."""

    def validate(self, password: str, user: Any = None) -> None:
        username = str(getattr(user, "username", "") or "").lower()
        if len(username) < 3:
            return
        rest = re.sub(re.escape(username), "", password.lower())
        if rest != password.lower() and len(rest) < MIN_OTHER_CHARACTERS:
            raise ValidationError(
                _("This password is made of your user name. Choose a password that does not contain it."),
                code="password_is_username",
            )

    def get_help_text(self) -> str:
        return _("Your password cannot be made of your user name.")
