"""Every sentence a user sees, in English and Dutch, looked up by a short code in gettext
catalogs: privacyscreen/locale/{en,nl}/LC_MESSAGES/privacyscreen.po (msgid = the code). After
editing a .po file, compile it: `pybabel compile -d privacyscreen/locale -D privacyscreen`.
"""

from __future__ import annotations

import gettext
import os
from functools import cache
from pathlib import Path

LANGUAGES = ("en", "nl")

LOCALE = Path(__file__).resolve().parent / "locale"


@cache
def catalog(lang: str) -> gettext.GNUTranslations:
    """The compiled gettext catalog of `lang` (privacyscreen/locale/LANG/LC_MESSAGES/privacyscreen.mo)."""
    return gettext.translation("privacyscreen", localedir=LOCALE, languages=[lang])


def shown(path: object) -> str:
    """A path as one printable line: a file name with a newline or control character cannot
    break the one-line-per-photo output or fake a line of its own."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(path))


def default_language() -> str:
    """Dutch when the user's locale is Dutch, otherwise English."""
    for var in ("PRIVACYSCREEN_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value:
            return "nl" if value.lower().startswith("nl") else "en"
    return "en"


def say(code: str, lang: str = "en", **params: object) -> str:
    """The sentence for `code` in `lang`, with `params` filled in."""
    return catalog(lang).gettext(code).format(**params)


class UserError(Exception):
    """A problem the user can fix; the message (a code in the catalogs) says how."""

    def __init__(self, code: str, **params: object):
        super().__init__(say(code, "en", **params))
        self.code, self.params = code, params

    def text(self, lang: str) -> str:
        return say(self.code, lang, **self.params)
