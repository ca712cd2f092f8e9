"""Every message a user sees exists in Dutch and English, in gettext catalogs that are compiled."""

from __future__ import annotations

import argparse
import ast
import re
import string
from importlib.metadata import version
from pathlib import Path

import click
import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from privacyscreen import photo, policy
from privacyscreen.messages import FRAMEWORK_DOMAIN, LANGUAGES, LOCALE, say

PACKAGE = LOCALE.parent


def po(lang: str, domain: str = "privacyscreen"):
    with open(LOCALE / lang / "LC_MESSAGES" / f"{domain}.po", "rb") as f:
        return read_po(f, locale=lang)


def translated(catalog) -> tuple[str, dict]:
    """What a catalog says: its plural rule and every translated message, as parsed (not as bytes:
    a compiled file also names the Babel version that wrote it)."""
    flat = lambda text: tuple(text) if isinstance(text, (list, tuple)) else text  # noqa: E731
    return catalog.plural_forms, {
        (m.context, flat(m.id)): flat(m.string) for m in catalog if m.id and m.string and not m.fuzzy
    }


@pytest.mark.parametrize("path", sorted(LOCALE.glob("*/LC_MESSAGES/*.po")), ids=lambda p: f"{p.parts[-3]}/{p.stem}")
def test_the_compiled_catalogs_are_up_to_date(path):
    with open(path.with_suffix(".mo"), "rb") as f:
        compiled = read_mo(f)
    assert translated(compiled) == translated(po(path.parts[-3], path.stem)), (
        f'run: pybabel compile -d privacyscreen/locale -D "privacyscreen {FRAMEWORK_DOMAIN}"'
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
    codes = set(re.findall(r'(?:say|help_text|Reason|(?!Photo)[A-Z][a-z]+Error)\(\s*"([a-z0-9-]+)"', source))
    codes |= {f"error-{c}" for c in re.findall(r'PhotoError\(\s*"([a-z0-9-]+)"', source)}
    codes |= set(re.findall(r'found\.append\("([a-z0-9-]+)"\)', source)) | set(photo.IDENTIFYING_EXIF)
    codes |= set(policy.VERDICTS) | {"error-verify", "error-write", "error-internal"}
    assert len(codes) > 35 and {"help-main", "help-run-out", "help-check-description"} <= codes
    english = {m.id for m in po("en") if m.id}
    assert codes <= english, codes - english
    assert say("reason-faces-redacted", "nl", count=2) == "2 gezicht(en) onherkenbaar gemaakt"


CLICK = tuple(int(part) for part in version("click").split(".")[:2])
SINCE = {"Positional arguments": (8, 5)}  # a help section click 8.5 added; pyproject.toml allows click 8.4 and 8.5


def literals(path: Path) -> set[str]:
    """Every string constant in a Python source file: what it can pass to gettext, also through a
    variable (click 8.2 and later translate "required" as `_(extra["required"])`)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)}


def test_click_and_argparse_say_every_word_of_their_dutch_catalog():
    """Each msgid of the click-argparse catalog is a string the installed click or argparse has, word
    for word, so a renamed string fails here instead of silently turning English; placeholders are kept."""
    theirs = set().union(*map(literals, [*Path(click.__file__).parent.glob("*.py"), Path(argparse.__file__)]))
    ours = {m.id: m.string for m in po("nl", FRAMEWORK_DOMAIN) if m.id}
    assert {"Usage:", "Options", "Show this message and exit.", "default: {default}", "required"} <= ours.keys()
    assert {"usage: ", "options", "show this help message and exit"} <= ours.keys()
    placeholders = lambda text: sorted(re.findall(r"\{[^}]*\}|%\(\w+\)\w|%\w", text))  # noqa: E731
    for msgid, dutch in ours.items():
        english = msgid if isinstance(msgid, tuple) else (msgid,)
        if CLICK >= SINCE.get(msgid, CLICK):
            assert set(english) <= theirs, msgid
        for text, translation in zip(english, dutch if isinstance(msgid, tuple) else [dutch]):
            assert translation and placeholders(text) == placeholders(translation), msgid
