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
SAFE = {NO_PEOPLE, ANONYMIZED}  # verdicts whose output may be shared as it is
IDENTIFYING = {"face"}  # finding kinds that are redacted


@dataclass(frozen=True)
class Reason:
    """Why a photo got its verdict; rendered in the user's language only when shown."""

    code: str
    count: int = 0
    items: tuple[str, ...] = ()  # message codes, e.g. metadata kinds
    detail: str = ""

    def text(self, lang: str) -> str:
        items = ", ".join(say(i, lang) for i in self.items)
        return say(self.code, lang, count=self.count, items=items, detail=self.detail)

    def to_dict(self) -> dict:
        return {"code": self.code, **{lang: self.text(lang) for lang in LANGUAGES}}


@dataclass
class Decision:
    verdict: str
    findings: list[Finding]
    reasons: list[Reason] = field(default_factory=list)


def decide(findings: list[Finding], metadata: list[str]) -> Decision:
    """Redact everything identifying; the photo is then safe, with or without people."""
    acted = [f.with_action("redacted" if f.kind in IDENTIFYING else "kept") for f in findings]
    faces = sum(f.kind == "face" for f in acted)
    reasons = [Reason("reason-faces-redacted", count=faces) if faces else Reason("reason-no-people")]
    if metadata:
        reasons.append(Reason("reason-metadata-removed", items=tuple(metadata)))
    return Decision(ANONYMIZED if faces else NO_PEOPLE, acted, reasons)
