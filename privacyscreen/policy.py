"""The rules: from findings to actions, one verdict and the reasons for it, in plain words."""

from __future__ import annotations

from dataclasses import dataclass, field

from .findings import Finding
from .messages import LANGUAGES, say

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
