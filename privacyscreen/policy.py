"""The rules: from findings to actions, one verdict and the reasons for it, in plain words."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from .findings import TEXT_LABELS, Finding
from .messages import LANGUAGES, UserError, say

NO_PEOPLE, ANONYMIZED, NEEDS_CONSENT, CONSENTED, ERROR = VERDICTS = (
    "no-people",
    "anonymized",
    "needs-consent",
    "consented",
    "error",
)
SAFE = {NO_PEOPLE, ANONYMIZED}  # verdicts whose output may be shared as it is, anywhere
IDENTIFYING = {"face"}  # finding kinds that are redacted unless the user keeps them
RELEASE = {  # IPTC/PLUS model-release status written into the output, per verdict
    NO_PEOPLE: "not-applicable",
    ANONYMIZED: "not-applicable",
    CONSENTED: "limited",
    NEEDS_CONSENT: "none",
}


PRESETS = ("strict", "standard")


class PolicyError(UserError):
    """A policy file that cannot be used; the message says why."""


@dataclass(frozen=True)
class Policy:
    """What is redacted and which verdict follows, read from a policy file (TOML).

    The presets live in privacyscreen/policies/; a user's file may start from one with
    `preset = "strict"` and change only what it lists."""

    name: str = "strict"
    redact_text: frozenset[str] = frozenset(TEXT_LABELS) - {"general", "allowed"}
    allow: tuple[str, ...] = ()  # words and phrases that may stay visible
    recognisable_body: str = NEEDS_CONSENT  # verdict for a recognisable body with its face hidden
    recognisable_height: float = 0.25  # share of the photo's height from which a body is recognisable

    @classmethod
    def load(cls, which: str | Path = "strict", allow: tuple[str, ...] = ()) -> Policy:
        """A preset by name or a policy file by path; `allow` adds words to its allow-list."""
        table = _read(which)
        name = table.pop("name", which if isinstance(which, str) and which in PRESETS else Path(which).stem)
        text, person = table.pop("text", {}), table.pop("person", {})
        for section, keys, rest in (("", (), table), ("text", ("redact", "allow"), text),
                                    ("person", ("recognisable_body", "recognisable_height"), person)):  # fmt: skip
            unknown = sorted(set(rest) - set(keys))
            if unknown:
                raise PolicyError("policy-unknown-key", file=which, key=".".join(filter(None, (section, unknown[0]))))
        redact = text.get("redact", [])
        if not isinstance(redact, list) or set(redact) - set(TEXT_LABELS):
            raise PolicyError("policy-bad-value", file=which, key="text.redact", valid=", ".join(TEXT_LABELS))
        body = person.get("recognisable_body")
        if body not in (NEEDS_CONSENT, ANONYMIZED):
            raise PolicyError("policy-bad-value", file=which, key="person.recognisable_body",
                              valid=f"{NEEDS_CONSENT}, {ANONYMIZED}")  # fmt: skip
        height = person.get("recognisable_height")
        if not isinstance(height, int | float) or not 0 < height <= 1:
            raise PolicyError("policy-bad-value", file=which, key="person.recognisable_height", valid="0 < n <= 1")
        words = text.get("allow", [])
        if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
            raise PolicyError("policy-bad-value", file=which, key="text.allow", valid='["word", ...]')
        return cls(str(name), frozenset(redact), tuple(dict.fromkeys([*words, *allow])), body, float(height))


def _read(which: str | Path, depth: int = 0) -> dict:
    """The policy's settings with those of its preset (and the preset's preset) filled in."""
    try:
        if isinstance(which, str) and which in PRESETS:
            table = tomllib.loads(resources.files(__package__).joinpath(f"policies/{which}.toml").read_text())
        else:
            table = tomllib.loads(Path(which).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PolicyError("policy-not-found", file=which, presets=", ".join(PRESETS)) from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise PolicyError("policy-unreadable", file=which, detail=str(e)) from None
    base = table.pop("preset", None)
    if base is None:
        return table
    if base not in PRESETS or depth > len(PRESETS):
        raise PolicyError("policy-bad-value", file=which, key="preset", valid=", ".join(PRESETS))
    merged = _read(base, depth + 1)
    for key, value in table.items():
        merged[key] = merged.get(key, {}) | value if isinstance(value, dict) else value
    return merged


@dataclass(frozen=True)
class Reason:
    """Why a photo got its verdict; rendered in the user's language only when shown."""

    code: str
    count: int = 0
    items: tuple[str, ...] = ()  # message codes, e.g. metadata kinds
    detail: str = ""
    form: str = ""  # consent form ID
    channel: str = ""
    on: str = ""  # a date

    def text(self, lang: str) -> str:
        items = ", ".join(say(i, lang) for i in self.items)
        return say(self.code, lang, count=self.count, items=items, detail=self.detail, form=self.form,
                   channel=self.channel, on=self.on)  # fmt: skip

    def to_dict(self) -> dict:
        return {"code": self.code, **{lang: self.text(lang) for lang in LANGUAGES}}


@dataclass
class Decision:
    verdict: str
    findings: list[Finding]
    reasons: list[Reason] = field(default_factory=list)


def decide(
    findings: list[Finding], metadata: list[str], keep: frozenset[str] = frozenset(),
    consent: list[Reason] | None = None,
) -> Decision:  # fmt: skip
    """Redact everything identifying that the user does not keep. Kept faces need consent:
    `consent` lists why the named forms do not cover this use ([] when they all do; None when
    no form was named)."""
    acted = [f.with_action("kept" if f.kind in keep or f.kind not in IDENTIFYING else "redacted") for f in findings]
    redacted = sum(f.kind == "face" and f.action == "redacted" for f in acted)
    kept = sum(f.kind == "face" and f.action == "kept" for f in acted)
    reasons = []
    if kept:
        verdict = CONSENTED if consent == [] else NEEDS_CONSENT
        reasons += [Reason("reason-consented", count=kept)] if consent == [] else consent or [Reason("consent-none")]
    else:
        verdict = ANONYMIZED if redacted else NO_PEOPLE
    if redacted:
        reasons.append(Reason("reason-faces-redacted", count=redacted))
    elif not kept:
        reasons.append(Reason("reason-no-people"))
    if metadata:
        reasons.append(Reason("reason-metadata-removed", items=tuple(metadata)))
    return Decision(verdict, acted, reasons)
