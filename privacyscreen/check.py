"""`privacyscreen check FILE...`: a read-only gate for publishing, shaped like a pre-commit hook.

It never changes a file. It prints one `path: reason` line per problem of a photo that may not be
published as it is and returns 0 when every photo is safe, 1 when any is not, 2 on usage errors.
Metadata is a problem unless the user accepts it (--accept-metadata), having reviewed it. A photo
that privacyscreen itself wrote and nobody changed since (its seal matches, see write.py) is
judged by the model-release status it is sealed with, without detecting faces again on blurred
pixels and without loading a model: a safe copy passes, a copy held back for consent or made under
consent forms does not.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from contextlib import ExitStack
from functools import cache
from pathlib import Path

from . import mp4, photo, policy, video, write
from .findings import Action, Finding, Kind
from .messages import LANGUAGES, default_language, language_of, say, shown, speak
from .policy import HIDES_FACE, Policy, PolicyError, Reason, Sound, Verdict
from .screen import Screener, Settings

# What a file privacyscreen wrote and nobody changed since may be, by the model-release status it is
# sealed with (policy.RELEASE): known without screening it again, so no model loads.
SEALED = {
    policy.RELEASE[Verdict.NO_PEOPLE]: [],  # no people, or nobody recognisable left
    policy.RELEASE[Verdict.NEEDS_CONSENT]: [Reason("check-sealed-needs-consent")],  # a copy held back
    policy.RELEASE[Verdict.CONSENTED]: [Reason("check-sealed-consented")],  # only for the channel its forms allow
}


def problems(path: Path, screener: Callable[[], Screener], accept_metadata: bool = False) -> list[Reason]:
    """Why `path` may not be published as it is; [] when it may. `screener()` gives the Screener
    (its models load only for a photo that must be screened). With `accept_metadata`, the metadata
    it carries is no reason."""
    try:
        if video.is_clip(path):
            return clip_problems(path, screener, accept_metadata)
        data = photo.read(path)
        sealed = SEALED.get(write.sealed_release(data) or "")
        if sealed is not None:
            return sealed
        pic = photo.decode(data)
    except photo.PhotoError as e:
        return [Reason(f"error-{e.code}", detail=e.detail)]
    rules = screener().settings.policy
    decision = policy.decide(screener().find(pic.pixels), (), pic.height, rules)
    return found(decision, rules.name) + ([Reason("check-metadata", metadata=pic.metadata)]
                                          if pic.metadata and not accept_metadata else [])  # fmt: skip


def clip_problems(path: Path, screener: Callable[[], Screener], accept_metadata: bool) -> list[Reason]:
    """`problems` of a clip: none when privacyscreen wrote it and nobody changed it since; else what
    following it finds, its metadata, and its sound when the policy removes sound."""
    with path.open("rb") as f:
        sealed = SEALED.get(mp4.sealed_release(f, path.stat().st_size) or "")
    if sealed is not None:
        return sealed
    clip = video.load(path)
    followed = screener().follow(clip)
    rules = screener().settings.policy
    reasons = found(followed.decision, rules.name)
    if clip.metadata and not accept_metadata:
        reasons.append(Reason("check-metadata", metadata=clip.metadata))
    if followed.sound == Sound.REMOVE:
        reasons.append(Reason("check-audio", detail=rules.name))
    return reasons


def found(decision: policy.Decision, rules: str) -> list[Reason]:
    """What a decision redacted, and whether what remains still needs consent, as reasons."""
    redacted: list[Finding] = [f for f in decision.findings if f.action == Action.REDACTED]
    reasons = []
    faces = sum(f.kind in HIDES_FACE for f in redacted)  # from the decision, never from its messages
    if faces:
        reasons.append(Reason("check-faces", count=faces))
    texts = [f for f in redacted if f.kind == Kind.TEXT]
    if texts:
        reasons.append(Reason("check-text", count=len(texts), items=tuple(sorted({f"text-{f.label}" for f in texts}))))
    if decision.verdict == Verdict.NEEDS_CONSENT:
        reasons.append(Reason("check-body", detail=rules))
    return reasons


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    lang = language_of(argv)  # of --help and argparse's own words too
    speak(lang)
    parser = argparse.ArgumentParser(prog="privacyscreen check", description=say("help-check-description", lang))
    parser.add_argument("filenames", nargs="*", type=Path, help=say("help-check-filenames", lang))
    parser.add_argument("--lang", choices=LANGUAGES, default=default_language(), help=say("help-check-lang", lang))
    parser.add_argument("--policy", default="strict", help=say("help-check-policy", lang))
    parser.add_argument("--allow", action="append", default=[], help=say("help-check-allow", lang))
    parser.add_argument("--accept-metadata", action="store_true", help=say("help-check-accept-metadata", lang))
    args = parser.parse_args(argv)
    failed = 0
    if not args.filenames:
        return 0
    try:
        rules = Policy.load(args.policy, tuple(args.allow))
    except PolicyError as e:
        print(e.text(args.lang), file=sys.stderr)
        return 2
    with ExitStack() as models:

        @cache
        def screener() -> Screener:
            return models.enter_context(Screener(Settings(policy=rules)))

        for path in args.filenames:
            reasons = problems(path, screener, args.accept_metadata)
            for reason in reasons:
                print(f"{shown(path)}: {reason.text(args.lang)}")
            failed += bool(reasons)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
