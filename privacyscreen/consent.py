"""The consent register: the organisation's signed consent forms (toestemmingsformulieren) in one
local SQLite file, created readable by its owner only.

Linking a photo to a form is a human act (never face recognition): whoever screens a photo names
the forms of the people who stay recognisable. Nothing is ever deleted: a withdrawal is a state
with a date, and every use of a form is recorded so that `audit` can list what to take down.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from datetime import date
from html import escape
from pathlib import Path

import platformdirs

from .messages import UserError, say
from .policy import Reason

CHANNELS = ("website", "facebook", "linkedin", "instagram", "intranet", "print", "own-account")
# Who may sign for a client who lacks capacity, in the order of the Wet zorg en dwang (Wzd).
REPRESENTATIVE_ROLES = ("curator", "mentor", "gemachtigde", "partner", "familie")
ENV = "PRIVACYSCREEN_REGISTER"
UNRECOGNISABLE_ONLY = "only-unrecognisable"  # the scope of a form that allows no recognisable photo at all

MIGRATIONS = [  # each entry moves the schema one version up; never edit a released one
    """
    CREATE TABLE forms (
        id TEXT PRIMARY KEY,
        subject TEXT NOT NULL,                 -- name or internal client/employee number
        signed_by TEXT NOT NULL CHECK (signed_by IN ('subject', 'representative')),
        representative_name TEXT,
        representative_role TEXT,
        channels TEXT NOT NULL,                -- comma-separated, from CHANNELS
        scope TEXT NOT NULL,                   -- these photos / this activity / a category
        valid_from TEXT NOT NULL,              -- ISO dates
        valid_until TEXT,
        form_version TEXT NOT NULL,
        withdrawn_on TEXT,
        withdrawn_by TEXT,
        recorded TEXT NOT NULL
    );
    CREATE TABLE uses (                        -- every output made under a form
        form_id TEXT NOT NULL REFERENCES forms (id),
        photo_sha256 TEXT NOT NULL,
        output TEXT,
        output_sha256 TEXT,
        channel TEXT NOT NULL,
        used_on TEXT NOT NULL
    );
    """,
]


class ConsentError(UserError):
    """A problem with the register or a form that the user can fix."""


@dataclass(frozen=True)
class Form:
    id: str
    subject: str
    signed_by: str
    representative_name: str | None
    representative_role: str | None
    channels: tuple[str, ...]
    scope: str
    valid_from: date
    valid_until: date | None
    form_version: str
    withdrawn_on: date | None = None
    withdrawn_by: str | None = None

    def problem(self, channel: str, today: date) -> Reason | None:
        """Why this form does not cover publishing on `channel` today; None when it does."""
        if self.withdrawn_on and self.withdrawn_on <= today:
            return Reason("consent-withdrawn", form=self.id, on=self.withdrawn_on.isoformat())
        if today < self.valid_from:
            return Reason("consent-not-yet", form=self.id, on=self.valid_from.isoformat())
        if self.valid_until and today > self.valid_until:
            return Reason("consent-expired", form=self.id, on=self.valid_until.isoformat())
        if channel not in self.channels:
            return Reason("consent-channel", form=self.id, channel=channel)
        if self.scope == UNRECOGNISABLE_ONLY:
            return Reason("consent-unrecognisable-only", form=self.id)
        return None


def default_path() -> Path:
    """$PRIVACYSCREEN_REGISTER, else consent.sqlite in the user's data folder (platformdirs:
    ~/.local/share/privacyscreen on Linux, AppData/Local/privacyscreen on Windows). A register
    where privacyscreen 0.1 kept it on every system (~/.local/share) is used while there is none there."""
    if os.environ.get(ENV):
        return Path(os.environ[ENV])
    path = Path(platformdirs.user_data_dir("privacyscreen", appauthor=False)) / "consent.sqlite"
    old = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "privacyscreen" / "consent.sqlite"
    return old if old.exists() and not path.exists() else path


def parse_date(text: str, what: str) -> date:
    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError):
        raise ConsentError("consent-error-date", what=what, text=text) from None


def parse_channels(names: list[str]) -> tuple[str, ...]:
    unknown = [n for n in names if n not in CHANNELS]
    if unknown or not names:
        raise ConsentError("consent-error-channel", names=", ".join(unknown) or "-", valid=", ".join(CHANNELS))
    return tuple(dict.fromkeys(names))


class Register:
    """One consent register file. Use as a context manager."""

    def __init__(self, path: Path):
        self.path = path
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        try:
            self.db = sqlite3.connect(path)
            self.db.execute("PRAGMA foreign_keys = ON")
            self.migrate()
        except sqlite3.DatabaseError as e:
            raise ConsentError("consent-error-not-register", path=path, detail=e) from None

    def __enter__(self) -> Register:
        return self

    def __exit__(self, *exc: object) -> None:
        self.db.close()

    def migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise ConsentError("consent-error-newer", path=self.path, version=version)
        with self.db:
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                self.db.executescript(script)
                self.db.execute(f"PRAGMA user_version = {number}")

    def add(self, form: Form) -> None:
        if form.signed_by == "representative" and not (form.representative_name and form.representative_role):
            raise ConsentError("consent-error-representative")
        if form.representative_role and form.representative_role not in REPRESENTATIVE_ROLES:
            raise ConsentError(
                "consent-error-role", role=form.representative_role, valid=", ".join(REPRESENTATIVE_ROLES)
            )
        if form.valid_until and form.valid_until < form.valid_from:
            raise ConsentError("consent-error-dates")
        try:
            with self.db:
                self.db.execute(
                    "INSERT INTO forms VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?)",
                    (form.id, form.subject, form.signed_by, form.representative_name, form.representative_role,
                     ",".join(form.channels), form.scope, form.valid_from.isoformat(),
                     form.valid_until and form.valid_until.isoformat(), form.form_version, date.today().isoformat()),
                )  # fmt: skip
        except sqlite3.IntegrityError:
            raise ConsentError("consent-error-exists", form=form.id) from None

    def get(self, form_id: str) -> Form:
        row = self.db.execute("SELECT * FROM forms WHERE id = ?", (form_id,)).fetchone()
        if row is None:
            raise ConsentError("consent-error-missing", form=form_id, path=self.path)
        return form_from_row(row)

    def forms(self) -> list[Form]:
        return [form_from_row(r) for r in self.db.execute("SELECT * FROM forms ORDER BY id")]

    def withdraw(self, form_id: str, on: date, by: str) -> Form:
        form = self.get(form_id)
        if form.withdrawn_on:
            raise ConsentError("consent-error-withdrawn", form=form_id, on=form.withdrawn_on.isoformat())
        with self.db:
            self.db.execute("UPDATE forms SET withdrawn_on = ?, withdrawn_by = ? WHERE id = ?",
                            (on.isoformat(), by, form_id))  # fmt: skip
        return self.get(form_id)

    def record_use(self, form_id: str, photo_sha256: str, output: str | None, output_sha256: str | None,
                   channel: str) -> None:  # fmt: skip
        with self.db:
            values = (form_id, photo_sha256, output, output_sha256, channel, date.today().isoformat())
            self.db.execute("INSERT INTO uses VALUES (?, ?, ?, ?, ?, ?)", values)

    def check(self, form_ids: tuple[str, ...], channel: str, today: date) -> list[Reason]:
        """Why the named forms do not cover publishing on `channel` today ([] when they all do)."""
        problems = []
        for form_id in form_ids:
            try:
                problem = self.get(form_id).problem(channel, today)
            except ConsentError:
                problem = Reason("consent-unknown", form=form_id)
            if problem:
                problems.append(problem)
        return problems

    def audit(self, today: date) -> list[tuple[Form, list[tuple[str, str]]]]:
        """Every withdrawn or expired form with the outputs (path, channel) made under it."""
        out = []
        for form in self.forms():
            if (form.withdrawn_on and form.withdrawn_on <= today) or (form.valid_until and form.valid_until < today):
                uses = self.db.execute("SELECT output, channel FROM uses WHERE form_id = ? ORDER BY used_on, output",
                                       (form.id,)).fetchall()  # fmt: skip
                out.append((form, [(o or "", c) for o, c in uses]))
        return out


def form_from_row(row: tuple) -> Form:
    (id_, subject, signed_by, rep_name, rep_role, channels, scope, valid_from, valid_until, version,
     withdrawn_on, withdrawn_by, _recorded) = row  # fmt: skip
    return Form(
        id_, subject, signed_by, rep_name, rep_role, tuple(channels.split(",")), scope,
        date.fromisoformat(valid_from), valid_until and date.fromisoformat(valid_until), version,
        withdrawn_on and date.fromisoformat(withdrawn_on), withdrawn_by,
    )  # fmt: skip


FORM_VERSION = "2026.1"
FORM_CSS = (
    "body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;line-height:1.5}"
    ".line{border-bottom:1px solid #000;height:2rem;margin-bottom:1rem}li{list-style:none}"
    "input{width:1.1rem;height:1.1rem;margin-right:.5rem}section{margin:1.5rem 0}"
    "@media print{body{margin:0}}"
)


def printable_form(lang: str) -> str:
    """The toestemmingsformulier as one printable HTML page: one tick box per channel, the
    explicit-consent wording for a care setting, a representative section and how to withdraw."""
    t = lambda code, **kw: escape(say(code, lang, **kw))  # noqa: E731
    boxes = "".join(f'<li><label><input type="checkbox"> {t("channel-" + c)}</label></li>' for c in CHANNELS)
    line = '<div class="line"></div>'
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{t("form-title")}</title>'
        f"<style>{FORM_CSS}</style></head><body><h1>{t('form-title')}</h1><p>{t('form-intro')}</p>"
        f"<section><h2>{t('form-person')}</h2>{line}<p>{t('form-scope')}</p>{line}</section>"
        f"<section><p><strong>{t('form-explicit')}</strong></p><h2>{t('form-channels')}</h2><ul>{boxes}</ul>"
        f"<p>{t('form-validity')}</p></section>"
        f"<section><h2>{t('form-signature')}</h2>{line}</section>"
        f"<section><h2>{t('form-representative')}</h2>{line}<p>{t('form-roles')}</p>"
        f"<h3>{t('form-signature')}</h3>{line}</section>"
        f"<section><p>{t('form-free')}</p><p>{t('form-withdraw')}</p>"
        f"<p><small>{t('form-version', detail=FORM_VERSION)}</small></p></section></body></html>\n"
    )
