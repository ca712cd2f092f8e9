"""--help of every command and group, and click's and argparse's own words, in the user's language:
Dutch under a Dutch locale or with --lang nl anywhere on the command line, English otherwise."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from privacyscreen.messages import language_of

from .conftest import ROOT

# Each command with a phrase of its Dutch help and of its English help.
COMMANDS = {
    "": ("haalt gegevens weg die iemand herkenbaar", "remove identifying metadata"),
    "run": ("Foto's die nog toestemming nodig hebben", "Folder for the safe copies"),
    "watch": ("Houd een map in de gaten", "Watch a drop folder"),
    "check": ("laat metadata door die je hebt nagekeken", "let metadata through that you have reviewed"),
    "consent": ("getekende toestemmingsformulieren", "signed consent forms"),
    "consent add": ("Naam of intern nummer van de persoon op de foto", "Name or internal number"),
    "consent list": ("Toon alle formulieren in het register", "List every form in the register"),
    "consent show": ("Toon één formulier", "Show one form"),
    "consent withdraw": ("Wie de toestemming heeft ingetrokken", "Who withdrew the consent"),
    "consent form": ("bewaar het als pdf vanuit je browser", "save it as PDF from a browser"),
    "consent audit": ("berichten die je offline moet halen", "posts to take down"),
    "models": ("meegeleverde herkenningsmodellen", "Inspect the bundled detection models"),
    "models verify": ("klopt met de controlesom", "against its checksum"),
}

CLICK_DUTCH = ("Gebruik:", "Opties:", "Toon deze hulp en stop.", "[standaard: ", "[verplicht]")
CLICK_ENGLISH = ("Usage:", "Options:", "Show this message and exit.", "[default: ", "[required]")


def privacyscreen(*args: str, locale: str = "en_GB.UTF-8") -> subprocess.CompletedProcess:
    """The real command line, run from this checkout under `locale` (nothing else in the environment
    decides the language), with its output on one line: a phrase wrapped by click still matches."""
    env = {k: v for k, v in os.environ.items() if k not in ("PRIVACYSCREEN_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES")}
    done = subprocess.run(
        [sys.executable, "-m", "privacyscreen", *args], cwd=ROOT, env=env | {"LANG": locale}, capture_output=True,
        text=True,
    )  # fmt: skip
    done.stdout, done.stderr = " ".join(done.stdout.split()), " ".join(done.stderr.split())
    return done


@pytest.mark.parametrize("command", COMMANDS)
def test_every_help_is_dutch_under_a_dutch_locale_and_english_otherwise(command):
    dutch, english = COMMANDS[command]
    nl = privacyscreen(*command.split(), "--help", locale="nl_NL.UTF-8")
    en = privacyscreen(*command.split(), "--help")
    assert nl.returncode == en.returncode == 0, nl.stderr + en.stderr
    assert dutch in nl.stdout and english not in nl.stdout
    assert english in en.stdout and dutch not in en.stdout
    if command == "check":  # argparse
        assert "gebruik: " in nl.stdout and "toon deze hulp en stop" in nl.stdout and "usage:" not in nl.stdout
        assert "usage: " in en.stdout and "show this help message and exit" in en.stdout
    else:
        assert "Gebruik:" in nl.stdout and "Toon deze hulp en stop." in nl.stdout
        assert not any(word in nl.stdout for word in CLICK_ENGLISH)
        assert "Usage:" in en.stdout and "Show this message and exit." in en.stdout
        assert not any(word in en.stdout for word in CLICK_DUTCH)


@pytest.mark.parametrize(
    "args",
    [
        ["run", "--lang", "nl", "--help"],
        ["run", "--help", "--lang", "nl"],
        ["run", "--help", "--lang=nl"],
        ["--lang", "nl", "run", "--help"],
        ["--help", "--lang", "nl"],
    ],
)
def test_lang_nl_anywhere_on_the_command_line_makes_help_dutch(args):
    done = privacyscreen(*args)
    assert done.returncode == 0, done.stderr
    assert all(word in done.stdout for word in ("Gebruik:", "Opties:", "Toon deze hulp en stop."))
    if "run" in args:
        assert all(word in done.stdout for word in ("Map voor de veilige kopieën", "[standaard: blur]", "[verplicht]"))
    assert not any(word in done.stdout for word in CLICK_ENGLISH)


def test_lang_en_wins_over_a_dutch_locale():
    done = privacyscreen("consent", "add", "--help", "--lang", "en", locale="nl_NL.UTF-8")
    assert "Record a signed consent form." in done.stdout and "[required]" in done.stdout
    assert not any(word in done.stdout for word in CLICK_DUTCH)


def test_usage_errors_and_check_arguments_follow_the_language():
    missing = privacyscreen("run", "photo.jpg", "--lang", "nl")
    assert missing.returncode == 2
    assert "Fout: Ontbrekende optie '--out'." in missing.stderr and "Missing option" not in missing.stderr
    assert "Missing option '--out'." in privacyscreen("run", "photo.jpg").stderr
    check = privacyscreen("--lang", "nl", "check", "--help")  # --lang before `check` reaches argparse too
    assert "foto's om te controleren" in check.stdout and "photos to check" not in check.stdout


@pytest.mark.parametrize(
    "argv, lang",
    [
        ([], "en"),
        (["run", "--help", "--lang", "nl"], "nl"),
        (["--lang=nl", "run"], "nl"),
        (["run", "--lang", "nl", "--lang", "en"], "en"),  # the last one counts, as in click
        (["run", "--lang", "de"], "en"),  # not a language: click says so, in the locale's
        (["run", "--lang"], "en"),
    ],
)
def test_language_of_the_command_line(argv, lang):
    assert language_of(argv) == lang
