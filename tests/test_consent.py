"""The consent register: forms, channels, representatives, expiry, withdrawal, audit, bad input."""

from __future__ import annotations

import sqlite3
import stat
from datetime import date

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


@pytest.fixture
def register(tmp_path):
    with Register(tmp_path / "consent.sqlite") as r:
        yield r


def test_the_register_file_is_readable_by_its_owner_only(register):
    assert stat.S_IMODE(register.path.stat().st_mode) == 0o600


def test_a_form_covers_its_channels_while_valid(register):
    register.add(form())
    f = register.get("F-17")
    assert f.problem("facebook", TODAY) is None
    assert f.problem("own-account", TODAY) is None
    assert f.problem("linkedin", TODAY) == "form F-17 does not cover linkedin"
    assert f.problem("facebook", date(2027, 1, 2)) == "form F-17 expired on 2027-01-01"
    assert f.problem("facebook", date(2025, 12, 31)) == "form F-17 is valid only from 2026-01-01"


def test_withdrawal_is_a_state_with_a_date_and_nothing_is_deleted(register):
    register.add(form())
    register.record_use("F-17", "ab" * 32, "ready/dansen.jpg", "cd" * 32, "facebook")
    withdrawn = register.withdraw("F-17", date(2026, 11, 20), "A. de Vries")
    assert withdrawn.problem("facebook", TODAY) == "form F-17 was withdrawn on 2026-11-20"
    assert withdrawn.problem("facebook", date(2026, 11, 19)) is None  # earlier use stays lawful
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
