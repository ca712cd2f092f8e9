"""Readable text: the classifier's rules, and the PP-OCRv4 detector on real photos with text drawn onto them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from privacyscreen.detectors import DEFAULT, create, detector_class
from privacyscreen.detectors.text import Text, documents, rows
from privacyscreen.findings import Box, Finding, TextLabel, pad
from privacyscreen.personal_text import bsn_valid, classify
from privacyscreen.policy import Policy

from .conftest import SAMPLES, pixels

ALLOW = ("De Zonnehof", "#ZorgMetHart")
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


@pytest.mark.parametrize("number", ["111222333", "123456782", "1112.22.333", "111 222 333", "10000008", "010000008"])
def test_a_valid_bsn_passes_the_eleven_test(number):
    assert bsn_valid(number)


@pytest.mark.parametrize("number", ["123456789", "111222334", "000000000", "1234567", "1234567890", "11122233a"])
def test_an_invalid_bsn_fails_the_eleven_test(number):
    assert not bsn_valid(number)


@pytest.mark.parametrize(
    "line, label",
    [
        ("Anna de Vries", "name"),
        ("Anna", "name"),
        ("Mw. J. Jansen", "name"),
        ("Dhr. Bakker", "name"),
        ("Zr. Annie", "name"),
        ("ANNA DE VRIES", "name"),
        ("Jan van 't Hof", "name"),
        ("Naam: Anna de Vries", "name"),
        ("Welkom Anna", "name"),
        ("Fijne verjaardag Anna!", "name"),
        ("Welkom bij Het Anker", "name"),
        ("Welkom bij De Zonnehof", "general"),
        ("Welkom bij GGZ Noord", "general"),
        ("Welkom. Hier is de koffie", "general"),
        ("AnnadeVries", "name"),
        ("Mw.J.Jansen", "name"),
        ("BSN 111.222.333", "bsn"),
        ("123456782", "bsn"),
        ("anna.devries@zonnehof.nl", "email"),
        ("06-12345678", "phone"),
        ("+31 6 1234 5678", "phone"),
        ("020-1234567", "phone"),
        ("0031 6 12345678", "phone"),
        ("12-03-1941", "date"),
        ("12/3/41", "date"),
        ("1941-03-12", "date"),
        ("12 maart 1941", "date"),
        ("3 March 1941", "date"),
        ("geb. 1941", "date"),
        ("AB-123-C", "plate"),
        ("12-ABC-3", "plate"),
        ("1-ABC-23", "plate"),
        ("XX-99-99", "plate"),
        ("MH14CS1938", "plate"),
        ("GNO6BG", "plate"),  # GN06 BG(V), the 0 read as an O
        ("51F 888.26", "plate"),
        ("BSE:55-79", "plate"),  # BSE 5579 with its divider and screws (../shared/eval/plates)
        ('"RK-641AL', "plate"),  # a mark of the frame read as a quote
        ("JBP4V", "plate"),  # CJ8P4V with one real digit read
        ("12:30", "general"),
        ("A4 papier", "general"),
        ("Kamer 12", "number"),
        ("kamer 3b", "number"),
        ("room 4", "number"),
        ("cliëntnr 4471", "number"),
        ("ID 12345", "number"),
        ("4471", "number"),
        ("1941", "general"),
        ("12", "general"),
        ("Welkom", "general"),
        ("Nooduitgang", "general"),
        ("Happy Birthday", "general"),
        ("EMT MADRID", "general"),
        ("Paracetamol 500 mg 3x per dag", "general"),
        ("Welkom bij ons in de tuin", "general"),
        ("#zorgmetliefde", "general"),
        ("koffie en thee", "general"),
    ],
)
def test_classify(line, label):
    assert classify(line, ALLOW) == label


@pytest.mark.parametrize(
    "line", ["De Zonnehof", "DE ZONNEHOF", "de zonnehof.", "#zorgmethart", "De Zonnehof #ZorgMetHart"]
)
def test_the_allow_list_ignores_case_punctuation_and_hashtags(line):
    assert classify(line, ALLOW) == "allowed"


@pytest.mark.parametrize("line", ["De Zonnehof Anna", "Zonnehof", "Anna de Vries"])
def test_a_line_is_allowed_only_as_a_whole(line):
    assert classify(line, ALLOW) != "allowed"
    assert classify(line, ()) != "allowed"


def test_every_label_is_a_text_label():
    assert {classify(line, ALLOW) for line in ("Anna", "x", "De Zonnehof", "4471")} <= set(TextLabel)


def test_lines_that_continue_one_another_form_a_row_in_reading_order():
    plate = [(100, 10, 40, 30), (10, 12, 40, 28), (55, 10, 40, 30)]  # "KB", "AD", "799" as the detector splits them
    far = (400, 10, 40, 30)  # same height, but far to the right
    below = (10, 60, 40, 30)
    small = (150, 15, 20, 10)  # right after the plate, but much smaller text
    assert sorted(rows(plate + [far, below, small], [30, 28, 30, 30, 30, 10])) == [[1, 2, 0], [3], [4], [5]]


def test_a_plate_read_in_pieces_is_a_plate_together():
    assert [classify(piece) for piece in ("AD", "KB", "799")] == ["name", "name", "general"]
    assert classify("AD KB 799") == classify("KRW 301") == "plate"


def test_a_plate_on_two_lines_is_one_plate():
    from privacyscreen.detectors.text import two_line_plates

    boxes = [(100, 100, 60, 24), (96, 126, 70, 26), (300, 100, 60, 24)]  # "51F" over "888.26"; a sign beside
    heights = [20, 22, 20]
    words = ["51F", "888.26", "EXIT"]
    assert two_line_plates([[0], [1], [2]], boxes, heights, words) == ([[0, 1]], [[2]])
    misread = ["510", "711.67", "EXIT"]  # "51D" over "711.67", the D read as a 0
    assert two_line_plates([[0], [1], [2]], boxes, heights, misread) == ([[0, 1]], [[2]])
    assert two_line_plates([[0], [1], [2]], boxes, heights, ["59", "Koffie", "EXIT"]) == ([], [[0], [1], [2]])
    assert two_line_plates([[0], [1], [2]], boxes, heights, ["12", "30", "EXIT"]) == ([], [[0], [1], [2]])
    tilted = [(807, 596, 48, 27), (809, 609, 55, 28), (300, 100, 60, 24)]  # boxes of slanted lines overlap
    assert two_line_plates([[0], [1], [2]], tilted, [16, 17, 20], ["59-L7", "96721", "EXIT"]) == ([[0, 1]], [[2]])
    far_below = [(100, 100, 60, 24), (96, 200, 70, 26)]
    assert two_line_plates([[0], [1]], far_below, heights[:2], words[:2]) == ([], [[0], [1]])


def test_stacked_lines_are_a_document_but_words_on_one_row_are_not():
    stacked = [Finding("text", (10, 10 + 30 * i, 200, 24), 0.9, "text", label=label)
               for i, label in enumerate(["general", "name", "unreadable"])]  # fmt: skip
    assert [f.label for f in documents(stacked, [20] * 3)] == ["document", "name", "document"]
    row = [Finding("text", (10 + 60 * i, 10, 64, 24), 0.9, "text", label="general") for i in range(3)]
    assert [f.label for f in documents(row, [20] * 3)] == ["general"] * 3
    assert [f.label for f in documents(stacked[:2], [20] * 2)] == ["general", "name"]
    assert [f.label for f in documents(stacked, [20, 60, 20])][0] == "general"  # heights differ


@pytest.fixture(scope="module")
def text():
    return Text(policy=Policy(allow=ALLOW))


def font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT), size) if FONT.is_file() else ImageFont.load_default(size=size)


def card(image: Image.Image, line: str, x: int, y: int, size: int) -> Box:
    """Draw `line` in black on a white card; the box of its glyphs."""
    draw = ImageDraw.Draw(image)
    left, top, right, bottom = draw.textbbox((x, y), line, font=font(size))
    pad = size // 2
    draw.rectangle((left - pad, top - pad, right + pad, bottom + pad), fill="white", outline="grey")
    draw.text((x, y), line, font=font(size), fill="black")
    return (left, top, right - left, bottom - top)


def sheet(image: Image.Image, lines: list[str], x: int, y: int, size: int) -> list[Box]:
    """Draw lines of a document on a sheet of paper; the box of each line's glyphs."""
    draw = ImageDraw.Draw(image)
    step = round(size * 1.6)
    width = max(draw.textbbox((0, 0), line, font=font(size))[2] for line in lines)
    draw.rectangle((x - size, y - size, x + width + size, y + step * len(lines) + size), fill=(250, 250, 245))
    boxes = []
    for i, line in enumerate(lines):
        left, top, right, bottom = draw.textbbox((x, y + i * step), line, font=font(size))
        draw.text((x, y + i * step), line, font=font(size), fill="black")
        boxes.append((left, top, right - left, bottom - top))
    return boxes


def covers(outer: Box, inner: Box) -> bool:
    return (
        outer[0] <= inner[0]
        and outer[1] <= inner[1]
        and outer[0] + outer[2] >= inner[0] + inner[2]
        and outer[1] + outer[3] >= inner[1] + inner[3]
    )


def covering(findings, box: Box):
    return [f for f in findings if covers(f.box, box)]


def assert_nothing_said(findings, words: list[str]):
    for f in findings:
        said = repr(f) + repr(f.to_dict())
        assert not [w for w in words if w in said], said


@pytest.mark.parametrize("size", [12, 16, 24])
def test_a_name_badge_is_found_and_labelled_name(text, size):
    image = Image.open(SAMPLES / "astronaut.png").convert("RGB")
    glyphs = card(image, "Anna de Vries", 290, 400, size)
    findings = text.detect(np.asarray(image))
    assert [f.label for f in covering(findings, glyphs)] == ["name"], findings
    assert_nothing_said(findings, ["Anna", "Vries"])


def test_a_name_badge_on_a_12_megapixel_photo(text):
    photo = Image.open(SAMPLES / "astronaut.png").convert("RGB").resize((4000, 4000), Image.BICUBIC)
    image = photo.crop((0, 500, 4000, 3500))
    glyphs = card(image, "Anna de Vries", 2300, 2600, 56)
    assert 40 <= glyphs[3] <= 80
    findings = text.detect(np.asarray(image))
    assert [f.label for f in covering(findings, glyphs)] == ["name"], findings
    found = covering(findings, glyphs)[0].box
    assert found[2] * found[3] < 4 * glyphs[2] * glyphs[3]  # the box fits the badge, not half the photo


def test_a_tilted_out_of_focus_badge_on_a_12_megapixel_photo(text):
    photo = Image.open(SAMPLES / "astronaut.png").convert("RGB").resize((4000, 4000), Image.BICUBIC)
    image = photo.crop((0, 500, 4000, 3500))
    glyphs = Image.new("RGBA", (700, 160))
    ImageDraw.Draw(glyphs).text((40, 40), "Anna de Vries", font=font(64), fill="black")
    badge = Image.new("RGBA", (700, 160), "white")
    badge.alpha_composite(glyphs)
    badge, glyphs = (layer.rotate(20, expand=True, resample=Image.BICUBIC) for layer in (badge, glyphs))
    image.paste(badge.filter(ImageFilter.GaussianBlur(2)), (2300, 2400), badge)
    left, top, right, bottom = glyphs.getbbox()
    findings = text.detect(np.asarray(image))
    assert [f.label for f in covering(findings, (2300 + left, 2400 + top, right - left, bottom - top))] == ["name"]


@pytest.mark.parametrize("size", [14, 28])
def test_a_licence_plate_is_redacted_with_its_frame(text, size):
    image = Image.open(SAMPLES / "coffee.png").convert("RGB").resize((1200, 800))
    draw = ImageDraw.Draw(image)
    left, top, right, bottom = draw.textbbox((700, 600), "AB-123-C", font=font(size))
    pad, strip = round(0.25 * (bottom - top)), round(0.8 * (bottom - top))  # a Dutch plate: 52 x 11 cm, 7.5 cm
    whole = (left - strip, top - pad, right - left + strip + pad, bottom - top + 2 * pad)  # letters, blue EU strip
    draw.rectangle((left - strip, top - pad, right + pad, bottom + pad), fill=(250, 200, 0), outline="black", width=2)
    draw.rectangle((left - strip, top - pad, left - pad, bottom + pad), fill=(0, 50, 150))
    draw.text((700, 600), "AB-123-C", font=font(size), fill="black")
    findings = text.detect(np.asarray(image))
    assert [f.label for f in covering(findings, whole)] == ["plate"], (whole, findings)
    assert_nothing_said(findings, ["AB", "123"])


def test_a_care_document_is_found_line_by_line(text):
    image = Image.open(SAMPLES / "coffee.png").convert("RGB")
    lines = ["Anna de Vries", "geb. 12-03-1941", "BSN 111222333", "Paracetamol 500 mg", "3x per dag na het eten"]
    glyphs = sheet(image, lines, 30, 30, 14)
    findings = text.detect(np.asarray(image))
    labels = [[f.label for f in covering(findings, box)] for box in glyphs]
    assert labels == [["name"], ["date"], ["bsn"], ["document"], ["document"]], findings
    assert_nothing_said(findings, ["Anna", "Vries", "1941", "111222333", "Paracetamol"])


def test_allowed_text_signage_and_a_birthday_banner(text):
    image = Image.open(SAMPLES / "coffee.png").convert("RGB")
    allowed = card(image, "De Zonnehof", 30, 30, 20)
    sign = card(image, "Nooduitgang", 30, 330, 20)
    banner = card(image, "Fijne verjaardag Anna!", 300, 30, 20)
    findings = text.detect(np.asarray(image))
    assert [f.label for f in covering(findings, allowed)] == ["allowed"], findings
    assert [f.label for f in covering(findings, sign)] == ["general"], findings
    assert [f.label for f in covering(findings, banner)] == ["name"], findings


def test_a_real_name_tag_is_found_and_not_taken_for_signage(text):
    tag = (111, 496, 49, 9)  # "COMDR HOPPER" on Grace Hopper's uniform, measured by eye
    findings = covering(text.detect(pixels(SAMPLES / "grace_hopper.jpg")), tag)
    assert [f.label for f in findings] in (["name"], ["unreadable"]), findings


def test_a_photo_without_text_has_next_to_no_text_findings(text):
    assert len(text.detect(pixels(SAMPLES / "coffee.png"))) <= 1


def test_chalk_formulas_are_found_but_not_read_as_personal(text):
    findings = text.detect(pixels(SAMPLES / "text.png"))
    assert len(findings) >= 3
    assert {f.label for f in findings} <= {"unreadable", "document", "general"}, findings


def test_the_text_detector_is_a_default_and_reads_the_allow_list_from_the_policy():
    assert detector_class("text") is Text and "text" in DEFAULT
    (detector,) = create(("text",), policy=Policy(allow=ALLOW))
    assert detector.allow == ALLOW


def test_a_plate_down_the_street_on_a_12_megapixel_photo(text):
    """Letters 13 px high, about 5 where the detector usually looks (a 4000 px photo seen at 1440 px): only the
    second, finer pass sees them."""
    image = Image.open(SAMPLES / "coffee.png").convert("RGB").resize((4000, 3000), Image.BICUBIC)
    draw = ImageDraw.Draw(image)
    left, top, right, bottom = draw.textbbox((2600, 2200), "AB-123-C", font=font(18))
    pad = round(0.25 * (bottom - top))
    draw.rectangle((left - pad, top - pad, right + pad, bottom + pad), fill=(250, 200, 0), outline="black", width=2)
    draw.text((2600, 2200), "AB-123-C", font=font(18), fill="black")
    findings = text.detect(np.asarray(image))
    assert [f.label for f in covering(findings, (left, top, right - left, bottom - top))] == ["plate"], findings


def test_the_finer_pass_adds_small_lines_it_can_read_or_that_look_like_words(text, monkeypatch):
    """Eileen Collins's name tag (letters 5 px high) it cannot read, but it is shaped like a line of text;
    enlarged chalk specks, cuff buttons and ribbons look like text too, but not like words."""
    from privacyscreen.detectors import text as module

    astronaut, chalk = pixels(SAMPLES / "astronaut.png"), pixels(SAMPLES / "text.png")
    tag = (281, 368, 42, 9)  # the tag's line of text, drawn by eye
    assert any(f.label == "unreadable" and covers(pad(f.box, 2), (tag[0] + 4, tag[1], 30, tag[3]))
               for f in text.detect(astronaut))  # fmt: skip
    specks = sum(f.label == "unreadable" for f in text.detect(chalk))
    monkeypatch.setattr(module, "FINE_BELOW", 0)  # the usual scale alone
    assert specks == sum(f.label == "unreadable" for f in text.detect(chalk))
    assert not any(covers(f.box, (tag[0] + 4, tag[1], 30, tag[3])) for f in text.detect(astronaut))
