"""The rules: from findings to actions, one verdict and the reasons for it, in plain words."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from .findings import Action, BodyLabel, Finding, Kind, TextLabel, contains_center, iou, overlap
from .messages import LANGUAGES, UserError, say

if TYPE_CHECKING:
    from .metadata import Metadata


class Verdict(StrEnum):
    """One per photo; also the message code of its name."""

    NO_PEOPLE = "no-people"
    ANONYMIZED = "anonymized"
    NEEDS_CONSENT = "needs-consent"
    CONSENTED = "consented"
    ERROR = "error"


SAFE = {Verdict.NO_PEOPLE, Verdict.ANONYMIZED}  # verdicts whose output may be shared as it is, anywhere
HIDES_FACE = {Kind.FACE, Kind.HEAD}  # finding kinds redacted unless the user keeps faces (with consent)
PEOPLE = {Kind.FACE, Kind.HEAD, Kind.PERSON, Kind.FIGURE, Kind.FEET, Kind.HAND}  # kinds that mean a person is there
# (an OBJECT, a cup or the table, never does: it is kept, and only compositions use it)
SMALL_TEXT = 0.06  # text lines up to this share of the photo's height can be a badge, a wristband or a plate
UNREADABLE_WHERE = ("small", "worn")  # where a small line that could not be read is redacted: anywhere, on someone
RELEASE = {  # IPTC/PLUS model-release status written into the output, per verdict
    Verdict.NO_PEOPLE: "not-applicable",
    Verdict.ANONYMIZED: "not-applicable",
    Verdict.CONSENTED: "limited",
    Verdict.NEEDS_CONSENT: "none",
}


PRESETS = ("strict", "standard")


class Sound(StrEnum):
    """What happens to a clip's sound: voices identify too, and a client may be named aloud."""

    KEEP = "keep"
    REMOVE = "remove"


class PolicyError(UserError):
    """A policy file that cannot be used; the message says why."""


@dataclass(frozen=True)
class Policy:
    """What is redacted and which verdict follows, read from a policy file (TOML).

    The presets live in privacyscreen/policies/; a user's file may start from one with
    `preset = "strict"` and change only what it lists."""

    name: str = "strict"
    redact_text: frozenset[TextLabel] = frozenset(TextLabel) - {TextLabel.GENERAL, TextLabel.ALLOWED}
    allow: tuple[str, ...] = ()  # words and phrases that may stay visible
    recognisable_body: Verdict = Verdict.NEEDS_CONSENT  # verdict for a recognisable body with its face hidden
    recognisable_height: float = 0.25  # share of the photo's height from which a body is recognisable
    unreadable: str = "small"  # small unreadable lines are redacted anywhere ("small") or on someone ("worn")
    audio: Sound = Sound.REMOVE  # a clip's sound

    @classmethod
    def load(cls, which: str | Path = "strict", allow: tuple[str, ...] = ()) -> Policy:
        """A preset by name or a policy file by path; `allow` adds words to its allow-list."""
        table = _read(which)
        name = table.pop("name", which if isinstance(which, str) and which in PRESETS else Path(which).stem)
        text, person, clips = table.pop("text", {}), table.pop("person", {}), table.pop("video", {})
        for section, keys, rest in (("", (), table), ("text", ("redact", "allow", "unreadable"), text),
                                    ("person", ("recognisable_body", "recognisable_height"), person),
                                    ("video", ("audio",), clips)):  # fmt: skip
            unknown = sorted(set(rest) - set(keys))
            if unknown:
                raise PolicyError("policy-unknown-key", file=which, key=".".join(filter(None, (section, unknown[0]))))
        redact = text.get("redact", [])
        if not isinstance(redact, list) or set(redact) - set(TextLabel):
            raise PolicyError("policy-bad-value", file=which, key="text.redact", valid=", ".join(TextLabel))
        body = person.get("recognisable_body")
        if body not in (Verdict.NEEDS_CONSENT, Verdict.ANONYMIZED):
            raise PolicyError("policy-bad-value", file=which, key="person.recognisable_body",
                              valid=f"{Verdict.NEEDS_CONSENT}, {Verdict.ANONYMIZED}")  # fmt: skip
        height = person.get("recognisable_height")
        if not isinstance(height, int | float) or not 0 < height <= 1:
            raise PolicyError("policy-bad-value", file=which, key="person.recognisable_height", valid="0 < n <= 1")
        unreadable = text.get("unreadable")
        if unreadable not in UNREADABLE_WHERE:
            raise PolicyError("policy-bad-value", file=which, key="text.unreadable", valid=", ".join(UNREADABLE_WHERE))
        audio = clips.get("audio", Sound.REMOVE)
        if audio not in tuple(Sound):
            raise PolicyError("policy-bad-value", file=which, key="video.audio", valid=", ".join(Sound))
        words = text.get("allow", [])
        if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
            raise PolicyError("policy-bad-value", file=which, key="text.allow", valid='["word", ...]')
        return cls(str(name), frozenset(TextLabel(r) for r in redact), tuple(dict.fromkeys([*words, *allow])),
                   Verdict(body), float(height), unreadable, Sound(audio))  # fmt: skip


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
    count: int | None = None  # how many, for a message that has a form per number
    items: tuple[str, ...] = ()  # message codes, e.g. text labels
    metadata: tuple[Metadata, ...] = ()  # what a file carries, named after the items
    detail: str = ""  # in the report; in the sentence only as a name or a number (a format, a policy)
    form: str = ""  # consent form ID
    channel: str = ""
    on: str = ""  # a date

    def text(self, lang: str) -> str:
        items = ", ".join([*(say(i, lang) for i in self.items), *(m.text(lang) for m in self.metadata)])
        return say(self.code, lang, count=self.count, items=items, detail=self.detail, form=self.form,
                   channel=self.channel, on=self.on)  # fmt: skip

    def to_dict(self) -> dict:
        metadata = {"metadata": {m.carrier: list(m.kinds) for m in self.metadata}} if self.metadata else {}
        detail = {"detail": self.detail} if self.detail else {}
        return {"code": self.code, **metadata, **detail, **{lang: self.text(lang) for lang in LANGUAGES}}


@dataclass
class Decision:
    verdict: Verdict
    findings: list[Finding]
    reasons: list[Reason] = field(default_factory=list)


def action(finding: Finding, policy: Policy, keep: frozenset[Kind] = frozenset(), legible: bool = True) -> Action:
    """What happens to one finding: faces and heads are redacted unless the user keeps faces (or
    a reviewer kept this one under a consent form),
    text is redacted when the policy lists its label (text that could not be read only where a
    person might still read it: `legible`), bodies, hands, feet and things on a table are kept."""
    if finding.kind == Kind.DRAWN:
        return Action.REDACTED  # a reviewer hid it
    if finding.kind in HIDES_FACE:
        return Action.KEPT if Kind.FACE in keep or finding.consent else Action.REDACTED
    if finding.kind == Kind.TEXT:
        listed = finding.label in policy.redact_text
        return Action.REDACTED if listed and (legible or finding.label != TextLabel.UNREADABLE) else Action.KEPT
    return Action.KEPT


def _legible(text: Finding, findings: list[Finding], height: int, policy: Policy) -> bool:
    """Whether a line the reader could not read might still be read by a person: a small one (under
    SMALL_TEXT of the photo's height, such as a plate or a badge the camera saw small), anywhere in
    the photo (policy "small") or only on someone (policy "worn": a badge or wristband). Large
    unreadable text is lettering, a pattern or a texture."""
    if min(text.box[2], text.box[3]) > SMALL_TEXT * height:
        return False
    return policy.unreadable == "small" or _worn(text, findings)


def _worn(text: Finding, findings: list[Finding]) -> bool:
    """Whether text is on someone: on a body or where a badge would be, below a face."""
    for f in findings:
        x, y, w, h = f.box
        if f.kind in (Kind.PERSON, Kind.FIGURE) and overlap(text.box, f.box):
            return True
        if f.kind in HIDES_FACE and overlap(text.box, (x - w, y, 3 * w, 5 * h)):
            return True
    return False


def decide(
    findings: list[Finding], metadata: tuple[Metadata, ...], height: int, policy: Policy = Policy(),
    keep: frozenset[Kind] = frozenset(), consent: list[Reason] | None = None, channel: str = "",
) -> Decision:  # fmt: skip
    """Act on every finding, then give the photo (`height` pixels high) one verdict.

    Something recognisable that remains (a kept face; under a strict policy also a body large
    enough to be recognised with its face hidden) needs consent: `consent` lists why the named
    forms do not cover publishing on `channel` ([] when they all do; None when no form was named).
    Forms named for the whole photo cover everyone kept; a form a reviewer named for one face
    (`Finding.consent`) covers that person only."""
    faces = [f for f in findings if f.kind == Kind.FACE]
    # a head where a face was found adds nothing: the face's own redaction hides it
    acted = [f.with_action(action(f, policy, keep,
                                  f.label != TextLabel.UNREADABLE or _legible(f, findings, height, policy)))
             for f in findings
             if f.kind != Kind.HEAD or not any(_same_place(f, face) for face in faces)]  # fmt: skip
    faces = [f for f in acted if f.kind == Kind.FACE]
    heads = [f for f in acted if f.kind == Kind.HEAD]
    bodies = [f for f in acted if f.kind == Kind.PERSON and f.box[3] >= policy.recognisable_height * height]
    kept = sum(f.action == Action.KEPT for f in faces + heads)
    recognisable = kept + (len(bodies) if policy.recognisable_body == Verdict.NEEDS_CONSENT else 0)
    # a reviewer keeps faces one by one, each under its person's form: a recognisable body of
    # someone else (whose face is hidden) is not covered by those forms
    named = [f for f in faces + heads if f.consent]
    others = [b for b in bodies if named and policy.recognisable_body == Verdict.NEEDS_CONSENT
              and not any(contains_center(b.box, f.box) for f in named)]  # fmt: skip
    reasons = []
    if recognisable and consent == [] and not others:
        verdict = Verdict.CONSENTED
        reasons.append(Reason("reason-consented", count=recognisable, channel=channel))
    elif recognisable:
        verdict = Verdict.NEEDS_CONSENT
        reasons += consent or [Reason("consent-others", count=len(others)) if consent == [] else Reason("consent-none")]
    elif any(f.kind in PEOPLE for f in acted):
        verdict = Verdict.ANONYMIZED
    else:
        verdict = Verdict.NO_PEOPLE
        reasons.append(Reason("reason-no-people"))
    for code, found in (("reason-faces-redacted", faces), ("reason-heads-redacted", heads)):
        redacted = sum(f.action == Action.REDACTED for f in found)
        if redacted:
            reasons.append(Reason(code, count=redacted))
    if bodies:
        backs = sum(f.label == BodyLabel.BACK for f in bodies)
        body_reasons = {"reason-body-back": backs, "reason-body-visible": len(bodies) - backs}
        if policy.recognisable_body != Verdict.NEEDS_CONSENT:
            body_reasons = {"reason-body-noted": len(bodies)}
        reasons += [Reason(code, count=n, detail=policy.name) for code, n in body_reasons.items() if n]
    elif verdict == Verdict.ANONYMIZED and not faces and not heads:
        reasons.append(Reason("reason-no-one-recognisable"))
    drawn = sum(f.kind == Kind.DRAWN for f in acted)
    if drawn:
        reasons.append(Reason("reason-drawn", count=drawn))
    for code, act in (("reason-text-redacted", Action.REDACTED), ("reason-text-kept", Action.KEPT)):
        texts = [f for f in acted if f.kind == Kind.TEXT and f.action == act]
        if texts:
            labels = tuple(f"text-{label}" for label in sorted({f.label for f in texts}))
            reasons.append(Reason(code, count=len(texts), items=labels))
    if metadata:
        reasons.append(Reason("reason-metadata-removed", metadata=metadata))
    return Decision(verdict, acted, reasons)


def _same_place(head: Finding, face: Finding) -> bool:
    """Whether a face was found inside the head region of a body."""
    return contains_center(head.box, face.box) or iou(head.box, face.box) > 0.2
