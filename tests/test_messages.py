"""Every message a user sees exists in Dutch and English, in gettext catalogs that are compiled."""

from __future__ import annotations

import argparse
import ast
import errno
import json
import re
import shutil
import string
import struct
from importlib.metadata import version
from pathlib import Path

import click
import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from click.testing import CliRunner

from privacyscreen import metadata, policy, write
from privacyscreen.check import main as check
from privacyscreen.cli import main as cli
from privacyscreen.messages import FRAMEWORK_DOMAIN, LANGUAGES, LOCALE, OS_PROBLEMS, os_problem, say

from . import carriers as C

PACKAGE = LOCALE.parent


def po(lang: str, domain: str = "privacyscreen"):
    with open(LOCALE / lang / "LC_MESSAGES" / f"{domain}.po", "rb") as f:
        return read_po(f, locale=lang)


def texts(catalog) -> dict[str, tuple[str, ...]]:
    """Each message of a catalog by its msgid: its text, or its form for each number."""
    return {
        m.id if isinstance(m.id, str) else m.id[0]: (m.string,) if isinstance(m.string, str) else tuple(m.string)
        for m in catalog
        if m.id and not m.fuzzy
    }


@pytest.mark.parametrize("path", sorted(LOCALE.glob("*/LC_MESSAGES/*.po")), ids=lambda p: f"{p.parts[-3]}/{p.stem}")
def test_the_compiled_catalogs_say_what_their_sources_say(path):
    """Compared by what they say (the plural rule and every message), not byte for byte: the bytes
    of a compiled catalog differ from one Babel version to the next."""
    with open(path.with_suffix(".mo"), "rb") as f:
        compiled = read_mo(f)
    source = po(path.parts[-3], path.stem)
    assert (compiled.plural_forms, texts(compiled)) == (source.plural_forms, texts(source)), (
        f'run: pybabel compile -d privacyscreen/locale -D "privacyscreen {FRAMEWORK_DOMAIN}"'
    )


def test_dutch_and_english_have_the_same_messages_and_placeholders():
    catalogs = {lang: texts(po(lang)) for lang in LANGUAGES}
    assert catalogs["en"].keys() == catalogs["nl"].keys()
    fields = lambda text: {f for _, f, _, _ in string.Formatter().parse(text) if f}  # noqa: E731
    for code, english in catalogs["en"].items():
        forms = [*english, *catalogs["nl"][code]]
        assert all(forms) and len(english) == len(catalogs["nl"][code]), code
        assert all(fields(form) == fields(english[0]) for form in forms), code


def test_a_counted_message_has_a_form_for_each_number():
    """A message with a {count} has the catalog's plural forms in both languages ("1 gezicht",
    "2 gezichten"), and none writes "gezicht(en)", "face(s)", "foto('s)" or "perso(o)n(en)"; nor do
    the texts the report keeps."""
    for lang in LANGUAGES:
        for code, forms in texts(po(lang)).items():
            assert ("{count}" in forms[0]) == (len(forms) == 2), (lang, code)
            assert len(set(forms)) == len(forms), (lang, code)
            assert not [form for form in forms if re.search(r"\w\('?\w{1,2}\)", form)], (lang, code)
    assert [say("reason-faces-redacted", "nl", count=n) for n in (0, 1, 2)] == [
        "0 gezichten onherkenbaar gemaakt",
        "1 gezicht onherkenbaar gemaakt",
        "2 gezichten onherkenbaar gemaakt",
    ]
    assert policy.Reason("reason-body-back", count=1, detail="strict").to_dict() == {
        "code": "reason-body-back",
        "detail": "strict",
        "en": "1 person seen from behind, body visible (policy strict)",
        "nl": "1 persoon van achteren gezien, lichaam zichtbaar (beleid strict)",
    }
    assert say("summary", "en", count=2, counts="2 no people") == "2 files screened: 2 no people."


def test_every_code_the_package_uses_is_translated():
    source = "\n".join(p.read_text() for p in PACKAGE.rglob("*.py"))
    codes = set(re.findall(r'(?:say|help_text|Reason|(?!Photo)[A-Z][a-z]+Error)\(\s*"([a-z0-9-]+)"', source))
    codes |= {f"error-{c}" for c in re.findall(r'PhotoError\(\s*"([a-z0-9-]+)"', source)}
    codes |= {f"metadata-{name}" for name in metadata.CARRIERS + metadata.KINDS} | {*OS_PROBLEMS.values(), "os-other"}
    codes |= set(policy.Verdict) | {"error-verify", "error-write", "error-internal"}
    assert len(codes) > 35 and {"help-main", "help-run-out", "help-check-description"} <= codes
    english = texts(po("en")).keys()
    assert codes <= english, codes - english


def test_a_dutch_sentence_leaves_the_english_of_pillow_and_the_system_to_the_report(tmp_path, no_people, monkeypatch,
                                                                                     capsys):  # fmt: skip
    """Pillow's words for a photo too large and ours for a failed final check (in English) are
    the report's `detail`, never part of what a user reads: the run's lines, the report's texts,
    the HTML page, check's lines. The system's refusal is said in the user's words."""
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    header = struct.pack(">IIBBBBB", 30000, 30000, 8, 2, 0, 0, 0)  # Pillow refuses this size on opening
    chunks = C._png_chunk(b"IHDR", header) + C._png_chunk(b"IDAT", b"") + C._png_chunk(b"IEND", b"")
    (inbox / "groot.png").write_bytes(b"\x89PNG\r\n\x1a\n" + chunks)
    shutil.copy(no_people, inbox / "koffie.png")
    monkeypatch.setattr(write, "MAX_MEAN_ERROR", -1.0)  # no safe copy passes its final check
    run = CliRunner().invoke(cli, ["run", str(inbox), "--out", str(out), "--html", str(out / "r.html"), "--jobs", "1",
                                   "--lang", "nl"])  # fmt: skip
    assert run.exit_code == 1, run.output
    report = json.loads((out / "privacyscreen-report.json").read_text())
    errors = {Path(image["source"]).name: image["error"] for image in report["images"]}
    assert check(["--lang", "nl", str(inbox / "groot.png")]) == 1
    read = [run.output, (out / "r.html").read_text(), capsys.readouterr().out]
    read += [error[lang] for error in errors.values() for lang in LANGUAGES]
    for english in ("Image size", "exceeds", " pixels)", "decoded", "mean error"):  # Pillow's and ours
        assert not [text for text in read if english in text], english
    assert errors["groot.png"]["code"] == "error-too-large" and errors["groot.png"]["detail"]  # Pillow's words
    assert errors["koffie.png"]["code"] == "error-verify" and "mean error" in errors["koffie.png"]["detail"]
    assert errors["koffie.png"]["nl"] == "de veilige kopie kwam niet door de eindcontrole; niet opgeslagen"
    full = say(os_problem(OSError(errno.ENOSPC, "No space left on device")), "nl")
    assert say("error-write", "nl", items=full) == "de veilige kopie kon niet worden opgeslagen (de schijf is vol)"


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
