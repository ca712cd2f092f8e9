"""The consent register: forms, channels, representatives, expiry, withdrawal, audit, bad input."""

from __future__ import annotations

import json
import sqlite3
import stat
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from privacyscreen import consent
from privacyscreen.cli import main
from privacyscreen.consent import ConsentError, Form, Register

TODAY = date(2026, 11, 25)


def form(**changes) -> Form:
    base = dict(id="F-17", subject="client 4711", signed_by="subject", representative_name=None,
                representative_role=None, channels=("facebook", "own-account"), scope="music afternoon",
                valid_from=date(2026, 1, 1), valid_until=date(2027, 1, 1), form_version="2026.1")  # fmt: skip
    return Form(**{**base, **changes})


def why(f: Form, channel: str, day: date) -> str | None:
    problem = f.problem(channel, day)
    return problem and problem.text("en")


@pytest.fixture
def register(tmp_path):
    with Register(tmp_path / "consent.sqlite") as r:
        yield r


def test_the_register_file_is_readable_by_its_owner_only(register):
    assert stat.S_IMODE(register.path.stat().st_mode) == 0o600


def test_a_form_covers_its_channels_while_valid(register):
    register.add(form())
    f = register.get("F-17")
    assert why(f, "facebook", TODAY) is None
    assert why(f, "own-account", TODAY) is None
    assert why(f, "linkedin", TODAY) == "form F-17 does not cover linkedin"
    assert why(f, "facebook", date(2027, 1, 2)) == "form F-17 expired on 2027-01-01"
    assert why(f, "facebook", date(2025, 12, 31)) == "form F-17 is valid only from 2026-01-01"


def test_a_form_for_unrecognisable_photos_only_never_covers_a_recognisable_one(register):
    register.add(form(scope=consent.UNRECOGNISABLE_ONLY))
    assert why(register.get("F-17"), "facebook", TODAY) == (
        "form F-17 allows only photos on which the person cannot be recognised"
    )


def test_withdrawal_is_a_state_with_a_date_and_nothing_is_deleted(register):
    register.add(form())
    register.record_use("F-17", "ab" * 32, "ready/dansen.jpg", "cd" * 32, "facebook")
    withdrawn = register.withdraw("F-17", date(2026, 11, 20), "A. de Vries")
    assert why(withdrawn, "facebook", TODAY) == "form F-17 was withdrawn on 2026-11-20"
    assert why(withdrawn, "facebook", date(2026, 11, 19)) is None  # earlier use stays lawful
    assert [f.id for f in register.forms()] == ["F-17"]
    with pytest.raises(ConsentError, match="already withdrawn"):
        register.withdraw("F-17", TODAY, "someone")
    [(audited, uses)] = register.audit(TODAY)
    assert audited.id == "F-17" and uses == [("ready/dansen.jpg", "facebook")]


def test_expired_forms_are_audited_too(register):
    register.add(form(id="F-1", valid_until=date(2026, 6, 30)))
    register.add(form(id="F-2"))
    assert [f.id for f, _ in register.audit(TODAY)] == ["F-1"]


def test_representatives_sign_with_a_role_from_the_wzd_order(register):
    register.add(form(signed_by="representative", representative_name="A. de Vries", representative_role="mentor"))
    assert register.get("F-17").representative_role == "mentor"
    with pytest.raises(ConsentError, match="needs the representative's name and role"):
        register.add(form(id="F-18", signed_by="representative", representative_name="B."))
    with pytest.raises(ConsentError, match="unknown role buurman"):
        register.add(
            form(id="F-19", signed_by="representative", representative_name="C.", representative_role="buurman")
        )


def test_bad_input_gets_a_clear_error(register, tmp_path):
    with pytest.raises(ConsentError, match="valid channels: website, facebook"):
        consent.parse_channels(["tiktok"])
    with pytest.raises(ConsentError, match="must be a date like 2026-12-31"):
        consent.parse_date("31-12-2026", "--valid-until")
    with pytest.raises(ConsentError, match="not in the register"):
        register.get("F-99")
    register.add(form())
    with pytest.raises(ConsentError, match="already in the register"):
        register.add(form())
    with pytest.raises(ConsentError, match="must not be before"):
        register.add(form(id="F-20", valid_until=date(2025, 1, 1)))
    not_a_db = tmp_path / "notes.sqlite"
    not_a_db.write_text("this is not a database\n" * 100)
    with pytest.raises(ConsentError, match="is not a consent register"):
        Register(not_a_db)


def test_migrations_bring_an_empty_file_to_the_current_schema_and_refuse_a_newer_one(tmp_path):
    path = tmp_path / "r.sqlite"
    with Register(path):
        pass
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == len(consent.MIGRATIONS)
    db.execute(f"PRAGMA user_version = {len(consent.MIGRATIONS) + 1}")
    db.commit()
    db.close()
    with pytest.raises(ConsentError, match="newer privacyscreen"):
        Register(path)


def test_the_command_line_flow(tmp_path):
    runner, reg = CliRunner(), ["--register", str(tmp_path / "c.sqlite")]
    added = runner.invoke(main, ["consent", "add", "F-17", "--subject", "client 4711", "--channel", "instagram",
                                 "--scope", "music afternoon", "--valid-from", "2026-01-01", "--form-version", "1",
                                 "--representative", "A. de Vries", "--role", "partner", *reg])  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "signed by A. de Vries (partner)" in added.output
    bad = runner.invoke(main, ["consent", "add", "F-18", "--subject", "x", "--channel", "tiktok", "--scope", "s",
                               "--valid-from", "2026-01-01", "--form-version", "1", *reg])  # fmt: skip
    assert bad.exit_code == 1 and "unknown channel tiktok" in bad.output
    assert runner.invoke(main, ["consent", "withdraw", "F-17", "--by", "A. de Vries", *reg]).exit_code == 0
    listed = runner.invoke(main, ["consent", "list", *reg])
    assert "withdrawn" in listed.output
    audit = runner.invoke(main, ["consent", "audit", *reg])
    assert audit.output.startswith("F-17: client 4711")
    missing = runner.invoke(main, ["consent", "show", "F-99", *reg])
    assert missing.exit_code == 1 and "F-99 is not in the register" in missing.output
    dutch = runner.invoke(main, ["consent", "show", "F-99", "--lang", "nl", *reg])
    assert "formulier F-99 staat niet in het register" in dutch.output
    listed_nl = runner.invoke(main, ["consent", "list", "--lang", "nl", *reg])
    assert "getekend door A. de Vries (partner)" in listed_nl.output and "ingetrokken op" in listed_nl.output


def test_screening_with_consent_from_the_command_line(tmp_path, portrait_jpeg):
    """Kept faces: consented for a covered channel, needs consent for another and after withdrawal."""
    from tests import carriers as C

    runner, reg = CliRunner(), ["--register", str(tmp_path / "c.sqlite")]
    assert runner.invoke(main, ["consent", "add", "F-17", "--subject", "Jansen", "--channel", "facebook",
                                "--scope", "this photo", "--valid-from", "2026-01-01", "--form-version", "1",
                                *reg]).exit_code == 0  # fmt: skip

    def screen(out: str, channel: str) -> tuple[dict, Path]:
        result = runner.invoke(main, ["run", str(portrait_jpeg), "--out", str(tmp_path / out), "--keep", "faces",
                                      "--consent", "F-17", "--channel", channel, "--jobs", "1", *reg])  # fmt: skip
        assert result.exit_code == 0, result.output
        [image] = json.loads((tmp_path / out / "privacyscreen-report.json").read_text())["images"]
        [output] = image["outputs"]
        return image, (tmp_path / out / output["path"]).resolve()

    image, output = screen("facebook", "facebook")
    assert image["verdict"] == "consented" and output.parent == (tmp_path / "facebook").resolve()
    # the face is kept; her name tag (text on her, too small to read) is still redacted: consent covers the photo
    acted = {(f["kind"], f["action"]) for f in image["findings"]}
    assert {("face", "kept"), ("person", "kept"), ("text", "redacted")} <= acted and ("face", "redacted") not in acted
    assert C.metadata_inventory(output)["model_release_status"] == ["http://ns.useplus.org/ldf/vocab/MR-LMR"]
    assert C.find_secrets(output, ["Jansen", "F-17"]) == []  # the link lives in the register only

    image, output = screen("linkedin", "linkedin")
    assert image["verdict"] == "needs-consent"
    assert image["reasons"][0]["en"] == "form F-17 does not cover linkedin"
    assert output.parent == (tmp_path / "linkedin" / "needs-consent").resolve()  # never among the safe ones
    assert C.metadata_inventory(output)["model_release_status"] == ["http://ns.useplus.org/ldf/vocab/MR-NON"]

    assert runner.invoke(main, ["consent", "withdraw", "F-17", "--by", "Jansen", *reg]).exit_code == 0
    image, _ = screen("again", "facebook")
    assert image["verdict"] == "needs-consent" and "was withdrawn on" in image["reasons"][0]["en"]
    audit = runner.invoke(main, ["consent", "audit", *reg]).output
    assert f"facebook: {(tmp_path / 'facebook' / 'grace_hopper.jpg').resolve()}" in audit  # the post to take down
    assert stat.S_IMODE((tmp_path / "c.sqlite").stat().st_mode) == 0o600


def test_kept_faces_without_a_channel_or_form_are_refused_or_held(tmp_path, portrait_jpeg):
    runner = CliRunner()
    no_channel = runner.invoke(main, ["run", str(portrait_jpeg), "--out", str(tmp_path / "a"), "--keep", "faces"])
    assert no_channel.exit_code == 2 and "needs --channel" in no_channel.output
    held = runner.invoke(main, ["run", str(portrait_jpeg), "--out", str(tmp_path / "b"), "--keep", "faces",
                                "--channel", "instagram", "--jobs", "1"])  # fmt: skip
    assert held.exit_code == 0
    assert "no consent form was named" in held.output
    assert (tmp_path / "b" / "needs-consent" / "grace_hopper.jpg").is_file()
    assert not (tmp_path / "b" / "grace_hopper.jpg").exists()


@pytest.mark.parametrize(("lang", "explicit", "withdraw"), [
    ("nl", "Ik geef uitdrukkelijk toestemming", "altijd intrekken"),
    ("en", "I give explicit consent", "withdraw this consent at any time"),
])  # fmt: skip
def test_a_printable_form_with_a_tick_box_per_channel(tmp_path, lang, explicit, withdraw):
    out = tmp_path / "form.html"
    result = CliRunner().invoke(main, ["consent", "form", "--lang", lang, "--out", str(out)])
    assert result.exit_code == 0, result.output
    page = out.read_text()
    assert page.count('type="checkbox"') == len(consent.CHANNELS)
    assert explicit in page and withdraw in page
    assert ("vertegenwoordiger" if lang == "nl" else "representative") in page
