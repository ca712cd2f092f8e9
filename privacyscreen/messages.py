"""Every sentence a user sees, in English and Dutch, looked up by a short code in gettext
catalogs: privacyscreen/locale/{en,nl}/LC_MESSAGES/privacyscreen.po (msgid = the code). A message
with a {count} has a form for each number (msgid_plural, as the catalog's Plural-Forms say). After
editing a .po file, compile it: `pybabel compile -d privacyscreen/locale -D "privacyscreen click-argparse"`.

The words click and argparse print themselves ("Usage:", "Options", "[required]", their errors)
are in a second catalog, locale/nl/LC_MESSAGES/click-argparse.po, whose msgids are their English.
"""

from __future__ import annotations

import errno
import gettext
import os
from collections.abc import Sequence
from functools import cache
from pathlib import Path

LANGUAGES = ("en", "nl")

LOCALE = Path(__file__).resolve().parent / "locale"

FRAMEWORK_DOMAIN = "click-argparse"

OS_PROBLEMS = {  # what the system says went wrong, as a message code (its own words are English)
    errno.ENOSPC: "os-disk-full",
    errno.EROFS: "os-read-only",
    errno.EACCES: "os-no-permission",
    errno.EPERM: "os-no-permission",
    errno.ENOENT: "os-not-found",
    errno.ENAMETOOLONG: "os-name-too-long",
}


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


def language_of(argv: Sequence[str]) -> str:
    """The language of this run: the last `--lang X` or `--lang=X` anywhere on the command line
    (also after --help), else the locale's. Known before click parses anything, so --help can
    speak it."""
    chosen = default_language()
    for arg, following in zip(argv, [*argv[1:], ""]):
        name, equals, value = arg.partition("=")
        value = value if equals else following
        if name == "--lang" and value in LANGUAGES:
            chosen = value
    return chosen


def speak(lang: str) -> None:
    """Have click and argparse print their own words in `lang`. They translate with the standard
    library's global gettext, which takes its catalog from the global text domain and its
    language from $LANGUAGE; English is their own text."""
    os.environ["LANGUAGE"] = lang
    gettext.bindtextdomain(FRAMEWORK_DOMAIN, LOCALE)
    gettext.textdomain(FRAMEWORK_DOMAIN)


def say(code: str, lang: str = "en", **params: object) -> str:
    """The sentence for `code` in `lang`, with `params` filled in. With a `count`, the form of the
    sentence for that number, as the catalog's plural forms say ("1 gezicht", "2 gezichten")."""
    book = catalog(lang)
    count = params.get("count")
    text = book.ngettext(code, code, count) if isinstance(count, int) else book.gettext(code)
    return text.format(**params)


def os_problem(error: OSError) -> str:
    """The message code that says in the user's words what the system refused."""
    return OS_PROBLEMS.get(error.errno or 0, "os-other")


class UserError(Exception):
    """A problem the user can fix; the message (a code in the catalogs) says how."""

    def __init__(self, code: str, **params: object):
        super().__init__(say(code, "en", **params))
        self.code, self.params = code, params

    def text(self, lang: str) -> str:
        return say(self.code, lang, **self.params)
