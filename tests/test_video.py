"""Clips as ambassadors film them: built from the sample photos so that where the face is in each
frame is known, with a phone's rotation flag, place and model in the container, and sound."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from privacyscreen import mp4, tracks, video
from privacyscreen.check import main as check
from privacyscreen.findings import Action, Finding, Kind
from privacyscreen.policy import Policy, Verdict
from privacyscreen.screen import Screener, Settings

from . import clips

BLURRED = 0.35  # a hidden face keeps at most this share of its fine detail


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(Path(sys.executable).parent / "privacyscreen"), *args, "--lang", "en"],
                          capture_output=True, text=True)  # fmt: skip


def hidden_everywhere(source: Path, output: Path, faces: list[tuple[int, int, int, int]]) -> list[int]:
    """The frames in which the face is NOT hidden in the output (its detail kept)."""
    before, after = clips.frames_of(source), clips.frames_of(output)
    assert len(before) == len(after) == len(faces)
    return [n for n, (a, b, box) in enumerate(zip(before, after, faces, strict=True))
            if clips.sharpness(b, box) > BLURRED * clips.sharpness(a, box)]  # fmt: skip


@pytest.fixture(scope="module")
def panned(tmp_path_factory) -> tuple[Path, list]:
    """Two seconds panning and zooming over a portrait, filmed on a phone: place, make, model and
    the owner's name in the container."""
    frames, faces = zip(*clips.pan(24), strict=True)
    path = clips.build(tmp_path_factory.mktemp("clips") / "IMG_0042.mov", list(frames), tags=clips.PHONE_TAGS)
    return path, list(faces)


def test_a_face_is_hidden_in_every_frame_and_the_phone_s_tags_are_gone(screener, panned, tmp_path):
    source, faces = panned
    assert video.load(source).metadata  # the built clip does carry them
    result = screener.screen(source, tmp_path / "IMG_0042")
    assert result.verdict == Verdict.ANONYMIZED, result.explanation
    out = result.outputs[0].path
    assert out.name == "IMG_0042.mp4"
    assert hidden_everywhere(source, out, faces) == []
    face = next(f for f in result.findings if f.kind == Kind.FACE)
    assert face.action == Action.REDACTED and face.frames == (0, 23) and face.track
    data = out.read_bytes()
    for value in clips.PHONE_TAGS.values():  # not a byte of them travels
        assert value.encode() not in data
    with video.container(out) as c:
        assert set(c.metadata) <= video.PLAYBACK_TAGS
    assert "metadata-container" in {r.code for r in result.reasons} or any(
        m.carrier == "container" for r in result.reasons for m in r.metadata
    )


def test_ffmpeg_itself_reads_no_tag_from_the_output(screener, panned, tmp_path):
    """An independent reader: the ffmpeg program (imageio-ffmpeg's), not PyAV's library."""
    imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")
    result = screener.screen(panned[0], tmp_path / "clip")
    probe = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(result.outputs[0].path),
                            "-f", "ffmetadata", "-"], capture_output=True, text=True)  # fmt: skip
    assert probe.returncode == 0, probe.stderr
    tags = [line for line in probe.stdout.splitlines()[1:] if line and not line.startswith(";")]
    assert all(t.split("=")[0] in video.PLAYBACK_TAGS for t in tags), tags
    original = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(panned[0]),
                               "-f", "ffmetadata", "-"], capture_output=True, text=True)  # fmt: skip
    assert "iPhone 15 Pro" in original.stdout  # the reader does see them where they are


def test_a_phone_s_rotation_flag_is_applied_to_the_pixels(screener, tmp_path):
    frames, faces = zip(*clips.pan(12), strict=True)
    stored = [np.ascontiguousarray(np.rot90(f, k=-1)) for f in frames]  # the phone stores it turned ...
    source = clips.build(tmp_path / "turned.mp4", stored, rotation=90)  # ... and flags the turn back
    result = screener.screen(source, tmp_path / "out")
    out = clips.frames_of(result.outputs[0].path)
    assert out[0].shape == frames[0].shape  # upright, as the phone shows it
    with video.container(result.outputs[0].path) as c:
        assert next(c.decode(video=0)).rotation == 0  # no flag left to honour
    assert np.abs(out[0][:60, :60].astype(int) - frames[0][:60, :60]).mean() < 12  # a corner, away from the face
    shown = [n for n, (a, b, box) in enumerate(zip(frames, out, faces, strict=True))
             if clips.sharpness(b, box) > BLURRED * clips.sharpness(a, box)]  # fmt: skip
    assert shown == []  # the face found upright is hidden where it is upright


def test_an_iphone_s_hevc_clip_at_a_variable_frame_rate_keeps_its_timing(screener, tmp_path):
    """HEVC, as iPhones film, with frames that do not come at a steady rate (the phone slows down in dim light)."""
    frames, faces = zip(*clips.pan(12), strict=True)
    times = [0, 1, 2, 4, 5, 8, 9, 10, 13, 14, 15, 18]  # in 1/12 s
    source = clips.build(tmp_path / "IMG_0100.mov", list(frames), codec="libx265", times=times, tags=clips.PHONE_TAGS)
    with video.container(source) as c:
        assert c.streams.video[0].codec_context.name == "hevc"
    result = screener.screen(source, tmp_path / "out")
    assert result.verdict == Verdict.ANONYMIZED, result.explanation
    with video.container(result.outputs[0].path) as c:
        stream = c.streams.video[0]
        shown = [float(f.pts * f.time_base) for f in c.decode(stream)]
    assert stream.codec_context.name == "h264"
    assert shown == pytest.approx([t / 12 for t in times], abs=0.01)  # each frame at its own time
    assert hidden_everywhere(source, result.outputs[0].path, list(faces)) == []


def test_sound_is_removed_under_strict_and_kept_under_standard(screener, tmp_path):
    frames, _ = zip(*clips.pan(12), strict=True)
    source = clips.build(tmp_path / "music.mov", list(frames), tone=True)
    kept = screener.screen(source, tmp_path / "standard")  # the session's screener: policy standard
    assert kept.audio == "keep" and "reason-audio-keep" in {r.code for r in kept.reasons}
    with video.container(kept.outputs[0].path) as c:
        assert [s.type for s in c.streams] == ["video", "audio"]
        assert c.streams.audio[0].codec_context.name == "aac"
    with Screener(Settings()) as strict:
        removed = strict.screen(source, tmp_path / "strict", tmp_path / "held")
    assert removed.audio == "remove" and "reason-audio-remove" in {r.code for r in removed.reasons}
    with video.container(removed.outputs[0].path) as c:
        assert [s.type for s in c.streams] == ["video"]


def test_a_policy_file_can_keep_or_remove_the_sound(tmp_path):
    rules = tmp_path / "p.toml"
    rules.write_text('preset = "strict"\n[video]\naudio = "keep"\n')
    assert Policy.load(rules).audio == "keep" and Policy.load("strict").audio == "remove"
    rules.write_text('preset = "strict"\n[video]\naudio = "mute"\n')
    with pytest.raises(Exception, match="video.audio"):
        Policy.load(rules)


def test_a_face_found_in_frames_10_and_16_is_hidden_from_before_10_to_after_16():
    face = Finding(Kind.FACE, (100, 100, 40, 40), 0.9, "centerface", Action.REDACTED)
    moved = Finding(Kind.FACE, (130, 100, 40, 40), 0.9, "centerface", Action.REDACTED)
    [track] = tracks.link([(10, [face]), (16, [moved])], gap=12)
    assert [track.at(n, margin=3) is not None for n in range(5, 22)] == [False, False] + [True] * 13 + [False, False]
    between = track.at(13, 3)
    assert between is not None and between.box == (100, 100, 70, 40)  # over both: wherever it was in between
    before = track.at(8, 3)
    assert before is not None and before.box[2] > 40  # grown: it may have been coming in


def test_two_faces_side_by_side_are_two_tracks_and_a_face_seen_again_far_later_a_new_one():
    left = Finding(Kind.FACE, (0, 0, 40, 40), 0.9, "centerface")
    right = Finding(Kind.FACE, (300, 0, 40, 40), 0.9, "centerface")
    followed = tracks.link([(n, [left, right]) for n in range(5)] + [(40, [left])], gap=12)
    assert [(t.first, t.last) for t in followed] == [(0, 4), (0, 4), (40, 40)]


def test_a_face_passing_behind_a_lamp_stays_hidden_while_half_of_it_shows(screener, tmp_path):
    """Frames 8 to 13 cover the upper half of the face: what shows of it is hidden all the same."""
    frames, faces = [], []
    for n, (frame, face) in enumerate(clips.pan(24)):
        frame = frame.copy()
        x, y, w, h = face
        if 8 <= n <= 13:
            frame[: y + h // 2, x - 20 : x + w + 20] = (230, 230, 210)  # the lamp
            face = (x, y + h // 2, w, h - h // 2)  # what still shows
        frames.append(frame)
        faces.append(face)
    source = clips.build(tmp_path / "lamp.mp4", frames)
    result = screener.screen(source, tmp_path / "out")
    assert hidden_everywhere(source, result.outputs[0].path, faces) == []


@pytest.mark.parametrize("broken", ["truncated", "photo", "too long", "empty"])
def test_broken_clips_are_clear_errors_and_nothing_half_written_remains(screener, tmp_path, broken, portrait_jpeg):
    path = tmp_path / "in" / "clip.mp4"
    path.parent.mkdir()
    if broken == "truncated":
        whole = clips.build(tmp_path / "whole.mp4", [f for f, _ in clips.pan(24)])
        path.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    elif broken == "photo":
        path.write_bytes(portrait_jpeg.read_bytes())
    elif broken == "too long":  # three minutes and a second, at one tiny frame a second
        clips.build(path, [np.zeros((32, 32, 3), np.uint8)] * 181, rate=1)
    else:
        path.write_bytes(b"")
    result = screener.screen(path, tmp_path / "out" / "clip")
    assert result.verdict == Verdict.ERROR and not result.outputs
    code = {"truncated": ("error-video-corrupt", "error-video-truncated"), "photo": ("error-video-not-a-video",),
            "too long": ("error-video-too-long",), "empty": ("error-empty",)}[broken]  # fmt: skip
    assert result.error and result.error.code in code, result.error
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").rglob("*")) == []


def test_run_watch_and_check_take_clips(panned, tmp_path):
    """As a user would: `run` a folder with a clip, `check` the source (refused) and the output
    (passed without screening again), and change one byte of the output (refused)."""
    source, _ = panned
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / source.name).write_bytes(source.read_bytes())
    page = tmp_path / "sheet.html"
    done = cli("run", str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--policy", "standard", "--html", str(page))
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "out" / "privacyscreen-report.json").read_text())
    [record] = report["images"]
    assert record["frames"] == 24 and record["audio"] is None and record["verdict"] == "anonymized"
    assert any(f["kind"] == "face" and f["frames"] == [0, 23] for f in record["findings"])
    out = tmp_path / "out" / "IMG_0042.mp4"
    assert check([str(out)]) == 0
    refused = cli("check", str(source), "--policy", "standard")
    assert refused.returncode == 1
    assert f"{source}: " in refused.stdout and "recognisable face" in refused.stdout
    assert "video container tags (author or owner, place" in refused.stdout
    changed = tmp_path / "changed.mp4"
    data = bytearray(out.read_bytes())
    data[len(data) // 2] ^= 1
    changed.write_bytes(bytes(data))
    assert mp4.sealed_release(io.BytesIO(bytes(data)), len(data)) is None
    assert page.read_text().count("data-frame=") == 4  # four frames of the clip, from its safe copy


def test_a_clip_with_faces_kept_under_a_valid_form_is_consented_and_on_record(panned, tmp_path):
    from click.testing import CliRunner

    from privacyscreen.cli import main

    runner, reg = CliRunner(), ["--register", str(tmp_path / "c.sqlite")]
    assert runner.invoke(main, ["consent", "add", "F-17", "--subject", "Jansen", "--channel", "facebook",
                                "--scope", "this clip", "--valid-from", "2026-01-01", "--form-version", "1",
                                *reg]).exit_code == 0  # fmt: skip
    source, faces = panned
    done = runner.invoke(main, ["run", str(source), "--out", str(tmp_path / "out"), "--keep", "faces", "--consent",
                                "F-17", "--channel", "facebook", "--jobs", "1", *reg])  # fmt: skip
    assert done.exit_code == 0, done.output
    [record] = json.loads((tmp_path / "out" / "privacyscreen-report.json").read_text())["images"]
    assert record["verdict"] == "consented"
    out = tmp_path / "out" / record["outputs"][0]["path"]
    assert len(hidden_everywhere(source, out, faces)) == len(faces)  # kept: visible in every frame
    with out.open("rb") as f:
        assert mp4.sealed_release(f, out.stat().st_size) == "limited"
    audit = runner.invoke(main, ["consent", "withdraw", "F-17", "--by", "Jansen", *reg])
    assert audit.exit_code == 0
    assert str(out.resolve()) in runner.invoke(main, ["consent", "audit", *reg]).output  # the post to take down
