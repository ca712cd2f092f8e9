"""Every message a user sees exists in Dutch and English, in gettext catalogs that are compiled."""

from __future__ import annotations

import io
import re
import string

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from privacyscreen import photo, policy
from privacyscreen.messages import LANGUAGES, LOCALE, say

PACKAGE = LOCALE.parent


def po(lang: str):
    with open(LOCALE / lang / "LC_MESSAGES" / "privacyscreen.po", "rb") as f:
        return read_po(f, locale=lang)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_compiled_catalogs_are_up_to_date(lang):
    compiled = io.BytesIO()
    write_mo(compiled, po(lang))
    assert (LOCALE / lang / "LC_MESSAGES" / "privacyscreen.mo").read_bytes() == compiled.getvalue(), (
        "run: pybabel compile -d privacyscreen/locale -D privacyscreen"
    )


def test_dutch_and_english_have_the_same_messages_and_placeholders():
    catalogs = {lang: {m.id: m.string for m in po(lang) if m.id} for lang in LANGUAGES}
    assert catalogs["en"].keys() == catalogs["nl"].keys()
    fields = lambda text: {f for _, f, _, _ in string.Formatter().parse(text) if f}  # noqa: E731
    for code, english in catalogs["en"].items():
        assert english and catalogs["nl"][code], code
        assert fields(english) == fields(catalogs["nl"][code]), code


def test_every_code_the_package_uses_is_translated():
    source = "\n".join(p.read_text() for p in PACKAGE.rglob("*.py"))
    codes = set(re.findall(r'(?:say|Reason|(?!Photo)[A-Z][a-z]+Error)\(\s*"([a-z0-9-]+)"', source))
    codes |= {f"error-{c}" for c in re.findall(r'PhotoError\(\s*"([a-z0-9-]+)"', source)}
    codes |= set(re.findall(r'found\.append\("([a-z0-9-]+)"\)', source)) | set(photo.IDENTIFYING_EXIF)
    codes |= set(policy.VERDICTS) | {"error-verify", "error-write", "error-internal"}
    assert len(codes) > 35
    english = {m.id for m in po("en") if m.id}
    assert codes <= english, codes - english
    assert say("reason-faces-redacted", "nl", count=2) == "2 gezicht(en) onherkenbaar gemaakt"
