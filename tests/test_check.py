"""`privacyscreen check`, the read-only gate in an editor's pre-commit workflow."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from privacyscreen.check import main

from . import carriers as C
from .conftest import ROOT, digest


@pytest.fixture
def screened(tmp_path, portrait, no_people) -> Path:
    """privacyscreen's own safe outputs of a portrait (policy standard: the face hidden is enough)
    and a people-free photo."""
    out = tmp_path / "screened"
    subprocess.run(
        [
            str(Path(sys.executable).parent / "privacyscreen"),
            "run",
            str(portrait),
            str(no_people),
            "--out",
            str(out),
            "--jobs",
            "1",
            "--policy",
            "standard",
        ],
        check=True,
        capture_output=True,
    )
    return out


def test_a_photo_with_a_face_fails_and_nothing_is_changed(portrait, no_people, capsys):
    before = digest(portrait)
    assert main([str(portrait), str(no_people)]) == 1
    lines = capsys.readouterr().out.splitlines()
    metadata = "'privacyscreen run' removes it, or pass --accept-metadata once you have reviewed it"
    assert lines == [
        f"{portrait}: 1 recognisable face: screen it with 'privacyscreen run' first, "
        "or publish it only with a signed consent form",
        f"{portrait}: 3 texts to make unreadable (name, text that could not be read): "  # her patch and tag
        "screen it with 'privacyscreen run' first",
        f"{portrait}: a person is recognisable by body, clothing or posture (policy strict): "
        "crop them away or publish only with a signed consent form",
        f"{portrait}: metadata: text fields (description or keywords), other blocks of data; {metadata}",  # tIME
        f"{no_people}: metadata: other blocks of data; {metadata}",  # when it was last changed (tIME)
    ]
    assert main([str(portrait), "--policy", "standard", "--accept-metadata"]) == 1
    assert len(capsys.readouterr().out.splitlines()) == 2  # the face and the name, not the body nor the metadata
    assert digest(portrait) == before


def test_privacyscreens_own_outputs_pass(screened, capsys):
    outputs = sorted(screened.glob("*.png"))
    assert len(outputs) == 2
    assert main([str(p) for p in outputs]) == 0
    assert capsys.readouterr().out == ""


def test_checking_privacyscreens_own_outputs_loads_no_model(screened):
    """A sealed output needs no screening, so no model runtime loads: the hook is fast (#17)."""
    outputs = [str(p) for p in sorted(screened.glob("*.png"))]
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "privacyscreen", "check", *outputs],
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    imported = {line.rpartition("|")[2].strip().split(".")[0] for line in done.stderr.splitlines()}
    assert "privacyscreen" in imported and not imported & {"onnxruntime", "mediapipe"}


def test_a_copy_held_back_for_consent_fails_by_its_seal_without_a_model(tmp_path, portrait):
    """Under strict a portrait's copy is held back (the body is recognisable): its seal says so,
    so `check` names it without screening the blurred pixels again (#17)."""
    out = tmp_path / "strict"
    privacyscreen = str(Path(sys.executable).parent / "privacyscreen")
    subprocess.run([privacyscreen, "run", str(portrait), "--out", str(out), "--jobs", "1"], check=True,
                   capture_output=True)  # fmt: skip
    (held,) = (out / "needs-consent").glob("*.png")
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "privacyscreen", "check", "--lang", "en",
                           str(held)], capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 1
    assert done.stdout == f"{held}: privacyscreen held this copy back: someone on it is still recognisable and needs" \
                          " a signed consent form\n"  # fmt: skip
    imported = {line.rpartition("|")[2].strip().split(".")[0] for line in done.stderr.splitlines()}
    assert not imported & {"onnxruntime", "mediapipe"}


def test_an_output_edited_afterwards_is_screened_again(screened, portrait, tmp_path, capsys):
    """Someone pastes the original face back into the safe copy."""
    edited = tmp_path / "edited.png"
    im = Image.open(screened / "astronaut.png")
    im.paste(Image.open(portrait).crop((150, 30, 320, 220)), (150, 30))
    im.save(edited)
    assert main([str(edited)]) == 1
    assert "recognisable face" in capsys.readouterr().out


def test_identifying_metadata_alone_fails(no_people, tmp_path, capsys):
    photo = tmp_path / "koffie.jpg"
    exif = Image.Exif()
    exif.get_ifd(0x8825)[2] = (52.0, 5.0, 24.0)  # GPS latitude
    exif[0x013B] = "J. Jansen"  # Artist
    Image.open(no_people).convert("RGB").save(photo, exif=exif)
    assert main(["--lang", "nl", str(photo)]) == 1
    assert capsys.readouterr().out == (
        f"{photo}: metadata: EXIF (maker of eigenaar, plaats); 'privacyscreen run' verwijdert die, "
        "of geef --accept-metadata als je die hebt nagekeken\n"
    )


@pytest.fixture
def metadata_carriers(tmp_path, no_people) -> dict[Path, str]:
    """Photos of no one with metadata that `check` once passed, and what it must name in each."""
    return {
        C.jpeg_iptc_after_image(no_people, tmp_path / "iptc-segment.jpg", "segment"): "IPTC (author or owner, place)",
        C.jpeg_iptc_after_image(no_people, tmp_path / "iptc-trailer.jpg", "trailer"): (
            "IPTC (author or owner, place), data after the image"
        ),
        C.jpeg_xmp_creator(no_people, tmp_path / "xmp.jpg"): "XMP (author or owner)",
        C.canon_jpeg(no_people, tmp_path / "canon.jpg"): (
            "EXIF (other details), camera maker's notes (author or owner, serial number, other details)"
        ),
        C.png_author_comment(no_people, tmp_path / "text.png"): (
            "text fields (author or owner, description or keywords)"
        ),
    }


def test_metadata_that_names_people_or_places_fails_and_run_names_the_same(metadata_carriers, screener, capsys):
    """Fail closed: IPTC after the image data, XMP dc:creator, a Canon MakerNote with the owner's
    name and serial number, PNG text chunks Author and Comment. `run` names the same in its
    reasons; neither says what the metadata says."""
    assert main([str(p) for p in metadata_carriers]) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"{path}: metadata: {named}; 'privacyscreen run' removes it, or pass --accept-metadata once you have "
        "reviewed it"
        for path, named in metadata_carriers.items()
    ]
    for path, named in metadata_carriers.items():
        result = screener.screen(path, path.parent / "out" / path.stem)
        assert result.verdict == "no-people" and result.reasons[-1].text("en") == f"metadata removed: {named}"


def test_metadata_accepted_after_review_passes_but_a_face_still_fails(metadata_carriers, tmp_path, portrait, capsys):
    with_credit = tmp_path / "portrait-with-credit.jpg"
    C.jpeg_xmp_creator(portrait, with_credit)
    assert main(["--accept-metadata", *map(str, metadata_carriers), str(with_credit)]) == 1
    lines = capsys.readouterr().out.splitlines()
    prefix = f"{with_credit}: "
    assert lines and all(line.startswith(prefix) for line in lines)  # the carriers pass
    assert lines[0].startswith(f"{prefix}1 recognisable face")
    assert not [line for line in lines if line.startswith(f"{prefix}metadata")]


def test_unreadable_files_fail_and_usage_errors_exit_2(tmp_path, capsys):
    broken = tmp_path / "kapot.jpg"
    broken.write_bytes(b"\xff\xd8 not really")
    assert main([str(broken)]) == 1
    assert capsys.readouterr().out.startswith(f"{broken}: ")
    with pytest.raises(SystemExit) as e:
        main(["--no-such-option"])
    assert e.value.code == 2
    assert main([]) == 0


def test_the_real_pre_commit_framework_runs_the_hook(tmp_path, portrait, no_people, screened):
    """`pre-commit try-repo` installs privacyscreen from this repository into its own environment
    and runs the hook from another repository, as an editor's workflow would."""
    if subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain"], capture_output=True, text=True).stdout:
        pytest.skip("pre-commit try-repo needs the checkout committed (CI runs on a clean clone)")
    posts = tmp_path / "posts"
    posts.mkdir()
    shutil.copy(portrait, posts / "met-gezicht.png")
    Image.open(no_people).save(posts / "koffie.png")  # its pixels alone: the original's tIME chunk is metadata
    shutil.copy(screened / "astronaut.png", posts / "veilig.png")
    (posts / "notes.txt").write_text("not a photo: the hook does not see it\n")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q"], cwd=posts, check=True)
    subprocess.run([*git, "add", "."], cwd=posts, check=True)

    def hook(*files: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), "privacyscreen-check", "--files", *files],
            cwd=posts,
            env=env,
            capture_output=True,
            text=True,
            timeout=1800,
        )

    blocked = hook("met-gezicht.png", "koffie.png", "veilig.png", "notes.txt")
    assert blocked.returncode == 1, blocked.stdout + blocked.stderr
    assert "met-gezicht.png: 1 recognisable face:" in blocked.stdout
    assert "koffie.png" not in blocked.stdout.split("Failed")[-1] and "veilig.png:" not in blocked.stdout
    passed = hook("koffie.png", "veilig.png")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert digest(posts / "met-gezicht.png") == digest(portrait)  # read-only


def test_a_file_name_with_a_newline_is_refused_on_one_line(portrait, tmp_path, capsys):
    sneaky = tmp_path / "foto\nveilig.png: ok.png"
    shutil.copy(portrait, sneaky)
    assert main([str(sneaky)]) == 1
    [line] = capsys.readouterr().out.splitlines()
    assert line.startswith(f"{tmp_path}/foto\\nveilig.png: ok.png: the file name contains control characters")


def test_the_gate_decides_from_the_decision_never_from_its_messages(portrait, monkeypatch, capsys):
    from privacyscreen import policy

    decide = policy.decide

    def renamed(*args, **kwargs):  # every reason code renamed: the gate must not open
        decision = decide(*args, **kwargs)
        decision.reasons = [policy.Reason(f"renamed-{r.code}") for r in decision.reasons]
        return decision

    monkeypatch.setattr(policy, "decide", renamed)
    assert main([str(portrait), "--accept-metadata"]) == 1
    assert len(capsys.readouterr().out.splitlines()) == 3  # the face, the text, the body
