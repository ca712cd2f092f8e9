"""The policy: presets and policy files, what is redacted, which verdict follows and why."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from privacyscreen import policy
from privacyscreen.cli import main
from privacyscreen.findings import Finding
from privacyscreen.policy import Policy, PolicyError, decide

STRICT, STANDARD = Policy.load("strict"), Policy.load("standard")
HEIGHT = 1000  # of the photo the findings below are in
NO_ONE = "people seen, but no one is recognisable (no face, no body large enough)"


def finding(kind: str, box=(100, 100, 80, 100), label: str = "") -> Finding:
    return Finding(kind, box, 0.9, "test", label=label)


FACE = finding("face", (420, 100, 80, 100))
BODY = finding("person", (380, 60, 200, 900))  # most of the photo's height
BACK = finding("person", (380, 60, 200, 900), "back")
HEAD_AWAY = finding("head", (700, 80, 90, 110))  # a head with no face found in it
HEAD_OF_FACE = finding("head", (410, 90, 100, 120))
FAR_BODY = finding("person", (10, 10, 30, 120))  # small, far away
NAME = finding("text", (400, 500, 120, 30), "name")
SIGN = finding("text", (50, 800, 300, 60), "general")


def texts(decision: policy.Decision, lang: str = "en") -> list[str]:
    return [r.text(lang) for r in decision.reasons]


def test_presets_load_and_differ_in_what_a_visible_body_and_unreadable_text_mean():
    assert STRICT.name == "strict" and STANDARD.name == "standard"
    assert STRICT.recognisable_body == "needs-consent" and STANDARD.recognisable_body == "anonymized"
    assert STRICT.redact_text == STANDARD.redact_text
    assert "general" not in STRICT.redact_text and {"name", "bsn", "document"} <= STRICT.redact_text


def test_a_body_with_the_face_hidden_needs_consent_under_strict_only():
    strict = decide([FACE, BODY, HEAD_OF_FACE], [], HEIGHT, STRICT)
    assert strict.verdict == "needs-consent"
    assert "person still recognisable by body, clothing or posture with the face hidden (policy strict)" in (
        " ".join(texts(strict))
    )
    standard = decide([FACE, BODY, HEAD_OF_FACE], [], HEIGHT, STANDARD)
    assert standard.verdict == "anonymized"
    assert "1 person with the body visible; under policy standard a hidden face is enough" in texts(standard)
    for d in (strict, standard):  # the face is redacted either way (its head adds nothing), the body is not
        assert [(f.kind, f.action) for f in d.findings] == [("face", "redacted"), ("person", "kept")]


def test_a_person_seen_from_behind_is_not_no_people():
    d = decide([BACK, HEAD_AWAY], [], HEIGHT, STRICT)
    assert d.verdict == "needs-consent"
    assert "1 person seen from behind, body visible (policy strict)" in texts(d)
    assert "1 persoon van achteren gezien, lichaam zichtbaar (beleid strict)" in texts(d, "nl")
    assert "1 head with the face turned away or too unclear to detect, made unrecognisable" in texts(d)
    assert decide([BACK, HEAD_AWAY], [], HEIGHT, STANDARD).verdict == "anonymized"


def test_a_far_away_body_is_not_recognisable_but_is_a_person():
    d = decide([FAR_BODY], [], HEIGHT, STRICT)
    assert d.verdict == "anonymized"
    assert texts(d) == [NO_ONE]


def test_hands_alone_mean_people_but_no_one_recognisable():
    d = decide([finding("hand"), finding("hand", (300, 300, 60, 60))], [], HEIGHT, STRICT)
    assert d.verdict == "anonymized"
    assert texts(d) == [NO_ONE]
    assert all(f.action == "kept" for f in d.findings)


def test_personal_text_is_redacted_general_text_kept_and_text_alone_is_no_people():
    d = decide([NAME, SIGN], [], HEIGHT, STRICT)
    assert d.verdict == "no-people"  # a document photo: text redacted, still no person
    assert {f.label: f.action for f in d.findings} == {"name": "redacted", "general": "kept"}
    assert texts(d) == ["no person found: safe to share", "1 text made unreadable: name",
                        "1 text left as it is: general text (signage)"]  # fmt: skip
    assert "1 tekst onleesbaar gemaakt: naam" in texts(d, "nl")


def test_kept_faces_need_consent_and_bodies_count_with_them():
    d = decide([FACE, BODY], [], HEIGHT, STRICT, keep=frozenset({"face"}), consent=[], channel="facebook")
    assert d.verdict == "consented"
    assert texts(d)[0] == "2 recognisable people kept with valid consent for facebook"
    assert decide([FACE], [], HEIGHT, STRICT, keep=frozenset({"face"})).verdict == "needs-consent"


def test_a_policy_file_starts_from_a_preset_and_changes_what_it_lists(tmp_path):
    path = tmp_path / "ours.toml"
    path.write_text('preset = "strict"\n[text]\nredact = ["name", "general"]\nallow = ["Zorggroep Noord"]\n')
    ours = Policy.load(path, allow=("#zorgismeer",))
    assert ours.name == "ours" and ours.redact_text == {"name", "general"}
    assert ours.allow == ("Zorggroep Noord", "#zorgismeer")
    assert ours.recognisable_body == "needs-consent"  # from the preset
    assert decide([SIGN], [], HEIGHT, ours).findings[0].action == "redacted"


@pytest.mark.parametrize(
    "text, key",
    [
        ('colour = "red"\n', "colour"),
        ('[text]\nredcat = ["name"]\n', "text.redcat"),
        ('[text]\nredact = ["names"]\n', "text.redact"),
        ('[person]\nrecognisable_body = "ok"\n', "person.recognisable_body"),
        ("[person]\nrecognisable_height = 2\n", "person.recognisable_height"),
        ('[text]\nunreadable = "everywhere"\n', "text.unreadable"),
        ('preset = "lenient"\n', "preset"),
    ],
)
def test_a_wrong_policy_file_names_the_setting(tmp_path, text, key):
    path = tmp_path / "p.toml"
    path.write_text('preset = "standard"\n' * ("preset" not in text) + text)
    with pytest.raises(PolicyError) as e:
        Policy.load(path)
    assert key in e.value.text("en") and key in e.value.text("nl")


def test_the_cli_refuses_an_unknown_policy_in_the_users_language(tmp_path, portrait):
    result = CliRunner().invoke(main, ["run", str(portrait), "--out", str(tmp_path), "--policy", "lax", "--lang", "nl"])
    assert result.exit_code == 2
    assert "beleid lax niet gevonden" in result.output and "strict, standard" in result.output
    (tmp_path / "bad.toml").write_text("this is not toml")
    result = CliRunner().invoke(
        main, ["run", str(portrait), "--out", str(tmp_path), "--policy", str(tmp_path / "bad.toml")]
    )
    assert result.exit_code == 2 and "cannot be read" in result.output


def test_small_text_that_could_not_be_read_is_redacted_anywhere_under_strict_on_someone_under_standard():
    blur_on_badge = finding("text", (430, 400, 60, 20), "unreadable")  # below the face, on the body
    blur_far_away = finding("text", (1500, 100, 60, 20), "unreadable")  # a plate down the street
    large_blur = finding("text", (400, 300, 200, 300), "unreadable")  # on the body, but no badge is this big
    photo = [FACE, BODY, blur_on_badge, blur_far_away, large_blur]
    for preset, actions in ((STANDARD, ["redacted", "kept", "kept"]), (STRICT, ["redacted", "redacted", "kept"])):
        assert [f.action for f in decide(photo, [], HEIGHT, preset).findings if f.kind == "text"] == actions
    alone = decide([blur_far_away], [], HEIGHT, STRICT)  # redacted, and text alone is still no one
    assert alone.findings[0].action == "redacted" and alone.verdict == "no-people"
    assert STRICT.unreadable == "small" and STANDARD.unreadable == "worn"


@pytest.fixture(scope="module")
def badge_portrait(tmp_path_factory):
    """The astronaut (a real photo) wearing a name badge and the organisation's name."""
    from PIL import Image

    from .conftest import SAMPLES
    from .test_text import card

    image = Image.open(SAMPLES / "astronaut.png").convert("RGB")
    card(image, "Anna de Vries", 300, 380, 16)
    card(image, "Zorggroep De Linde", 290, 430, 14)
    path = tmp_path_factory.mktemp("badge") / "badge.png"
    image.save(path)
    return path


@pytest.mark.parametrize(
    "preset, verdict, body",
    [
        ("strict", "needs-consent", "1 person still recognisable by body, clothing or posture with the face "
                                    "hidden (policy strict)"),
        ("standard", "anonymized", "1 person with the body visible; under policy standard a hidden face is enough"),
    ],
)  # fmt: skip
def test_both_presets_on_a_real_photo_with_a_name_badge(badge_portrait, tmp_path, preset, verdict, body):
    from privacyscreen.screen import Screener, Settings

    rules = Policy.load(preset, allow=("Zorggroep De Linde",))
    with Screener(Settings(policy=rules)) as screener:
        result = screener.screen(badge_portrait, tmp_path / "out" / "badge", tmp_path / "held" / "badge")
    assert result.verdict == verdict
    said = [r.text("en") for r in result.reasons]
    assert "1 face made unrecognisable" in said and body in said
    names = "3 texts made unreadable: name, text that could not be read"  # the badge; names on her patch
    assert names in said and "1 text left as it is: text on the allow-list" in said
    texts = {f.label: f.action for f in result.findings if f.kind == "text"}
    assert texts == {"name": "redacted", "unreadable": "redacted", "allowed": "kept"}
    dutch = [r.text("nl") for r in result.reasons]
    assert "3 teksten onleesbaar gemaakt: naam, tekst die niet te lezen was" in dutch
