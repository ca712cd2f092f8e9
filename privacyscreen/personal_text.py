"""What kind of text a line is, from the words alone: a TextLabel (no model, no identity).

`classify(line, allow)` checks, in this order, and the first rule that matches wins:

* allowed: the whole line is one allow-list entry, or a run of entries ("De Zonnehof
  #ZorgMetHart"), compared without case, spaces, punctuation or '#'.
* bsn: a group of 8 or 9 digits (dots, spaces or dashes between them allowed) that passes
  the eleven-test (`bsn_valid`).
* email: something@domain.tld.
* phone: a Dutch number of 10 digits starting with 0 (06-12345678, 020-1234567), or an
  international one starting with + or 00 (+31 6 1234 5678, 0031...) of 10 to 15 digits.
* date: day-month-year with - / . (12-03-1941, 12/3/41), year-month-day (1941-03-12), a day
  and a month name with a year ("12 maart 1941", "3 March 1941", "March 3, 1941"), or a
  birth marker with a year ("geb. 1941", "geboren", "born", "b.").
* plate: a licence plate: two or three groups of 1-3 letters or digits joined by dashes or
  spaces (spaces only when the plate is the whole line), 6 to 8 characters in all, with both
  letters and digits (AB-123-C, 12-ABC-3, 1-ABC-23; old sidecodes like XX-99-99 too); or a
  whole line that is a code in capitals and digits, 5 to 10 of them with at least one digit
  (MH14CS1938, GNO6BG, JBP4V). Marks the reader takes from a plate's dividers, screws or frame
  (BSE:55-79, "RK-641AL) are ignored here. `two_line_plate` says when two
  stacked lines are a plate together ("51F" over "888.26", or digits alone: "510" over "711.67").
* number: a room, client or ID number: "Kamer 12", "kamer 3b", "room 4", "cliëntnr 4471",
  "ID 12345", "bed 2"; or a bare number of 4 or more digits that is not a year (1900-2099).
  Shorter bare numbers (a clock, a price, a page) are general.
* name: one to four name words, each capitalised (Anna, Vries, Jansen-Smit) or an initial
  (J., A.B.), with Dutch particles (van, de, der, den, ter, ten, 't) and titles (Mw., Dhr.,
  Zr., ...) in between. A title or initial makes it a name; otherwise the words count as a
  possible name (fail closed: "Welkom Anna") unless all of them are common signage words
  (GENERAL_WORDS: "Welkom", "Koffie", "Nooduitgang"). A line with a 2-3 letter abbreviation
  in capitals (EMT MADRID, GGZ Noord) is an organisation, not a person; so "ANN LEE" in
  capitals is a known miss. Words the reader glued together ("AnnadeVries", "Mw.J.Jansen")
  are split before capitals and after dots first.
  In a short line of up to SENTENCE words (a banner: "Fijne verjaardag Anna!"), a capitalised
  word after the first that is no signage word, abbreviation or word of the allow-list is a
  possible name too, unless the line has an abbreviation ("Welkom bij De Zonnehof" is general
  only with De Zonnehof allowed).
* general: everything else: sentences, signage, slogans, hashtags not on the allow-list,
  lowercase words, long lines, short numbers.
"""

from __future__ import annotations

import re
import unicodedata

from .findings import TextLabel

GENERAL_WORDS = frozenset(
    "welkom welcome ingang uitgang nooduitgang entrance exit toilet wc dames heren open gesloten closed "
    "receptie reception kantoor office keuken restaurant koffie coffee thee lift trap duwen trekken push "
    "pull informatie parkeren verboden stop privé private personeel staff bezoek afdeling zorg team menu "
    "vandaag hallo hello bedankt gefeliciteerd happy birthday feest kerst sale let".split()
)  # common words on signs; any other capitalised word may be a name
PARTICLES = frozenset("van de der den ter ten te het 't op in d'".split())
TITLES = frozenset(
    "mw mevr mevrouw dhr heer meneer zr zuster br broeder dr drs ir mr mrs ms miss prof naam name bewoner "
    "resident".split()
)  # words before a name
MONTHS = (
    "jan|januari|january|feb|febr|februari|february|mrt|maart|mar|march|apr|april|mei|may|jun|juni|june|"
    "jul|juli|july|aug|augustus|august|sep|sept|september|okt|oct|oktober|october|nov|november|dec|december"
)
NUMBER_WORDS = (
    "kamer|kamernr|room|rm|cli[eë]nt|cli[eë]ntnr|cli[eë]ntnummer|client|pati[eë]nt|pati[eë]ntnr|"
    "nr|no|nummer|number|id|dossier|dossiernr|bed|app|appartement|unit|bsn|reg|registratie"
)

DIGIT_GROUP = re.compile(r"\+?\d[\d .\-/()]*\d|\d")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
DATES = [
    re.compile(r"\b\d{1,2}\s?[-/.]\s?\d{1,2}\s?[-/.]\s?(\d{4}|\d{2})\b"),
    re.compile(r"\b(19|20)\d{2}[-/.]\d{1,2}[-/.]\d{1,2}\b"),
    re.compile(rf"\b\d{{1,2}}\.?\s*({MONTHS})\.?\s*('?\d{{2}}|\d{{4}})\b", re.I),
    re.compile(rf"\b({MONTHS})\.?\s*\d{{1,2}},?\s*\d{{4}}\b", re.I),
    re.compile(r"\b(geb|geboren|born|b)(\.|\b)\s*(op|on)?\s*[:\-]?\s*\d", re.I),
]
PLATE = re.compile(r"(?<![\w-])[A-Z0-9]{1,3}([-·][A-Z0-9]{1,3}){1,2}(?![\w-])")
PLATE_LINE = re.compile(r"[A-Z0-9]{1,3}( [A-Z0-9]{1,4}){1,2}")  # with spaces: only as the whole line
CODE_LINE = re.compile(r"[A-Z0-9]+([-. ·][A-Z0-9]+)*")  # a whole line of capitals and digits
PLATE_MARKS = re.compile(r"[^\w\s.·-]")  # what a plate's dividers, screws and frame look like to the reader
NUMBER = re.compile(rf"\b({NUMBER_WORDS})\.?\s*[:#]?\s*\d+[a-z]?\b", re.I)
BARE_NUMBER = re.compile(r"(?<![\d,.])\d{4,}[a-z]?(?![\d,.])", re.I)
SENTENCE = 8  # words; longer lines are text, not banners or signs
YEAR = re.compile(r"(19|20)\d{2}")
NAME_WORD = re.compile(r"[A-Z][a-z]+(['-][A-Z]?[a-z]+)*|[A-Z]{2,}(['-][A-Z]+)*")  # after removing accents
INITIALS = re.compile(r"([A-Z]\.)+[A-Z]?|[A-Z]")


def bsn_valid(digits: str) -> bool:
    """The BSN eleven-test: 9 digits (8 get a leading zero) d1..d9 with 9·d1 + 8·d2 + ... + 2·d8
    - d9 divisible by 11, not all zeros. Dots, spaces and dashes are ignored."""
    d = re.sub(r"[\s.\-]", "", digits)
    if not d.isdigit() or len(d) not in (8, 9):
        return False
    d = d.zfill(9)
    total = sum(int(c) * w for c, w in zip(d, (9, 8, 7, 6, 5, 4, 3, 2, -1)))
    return total % 11 == 0 and int(d) != 0


def classify(text: str, allow: tuple[str, ...] = ()) -> TextLabel:
    """The label of one recognised line of text; see the module docstring."""
    line = " ".join(text.split())
    if not line:
        return TextLabel.GENERAL
    if _allowed(line, allow):
        return TextLabel.ALLOWED
    groups = [g.group() for g in DIGIT_GROUP.finditer(line)]
    if any(bsn_valid(g) for g in groups):
        return TextLabel.BSN
    if EMAIL.search(line):
        return TextLabel.EMAIL
    if any(_phone(g) for g in groups):
        return TextLabel.PHONE
    if any(p.search(line) for p in DATES):
        return TextLabel.DATE
    code = " ".join(PLATE_MARKS.sub("", line).split())
    upper = code.upper()
    if (
        any(_plate(m.group()) for m in PLATE.finditer(upper))
        or (PLATE_LINE.fullmatch(upper) and _plate(upper))
        or (CODE_LINE.fullmatch(code) and _code(code) and not NUMBER.search(code))
    ):
        return TextLabel.PLATE
    if NUMBER.search(line) or any(not YEAR.fullmatch(n.group()) for n in BARE_NUMBER.finditer(line)):
        return TextLabel.NUMBER
    if _name(line) or _name_in_sentence(line, allow):
        return TextLabel.NAME
    return TextLabel.GENERAL


def _key(text: str) -> str:
    """Letters and digits only, lowercase: how lines and allow-list entries are compared."""
    return "".join(c for c in text.casefold() if c.isalnum())


def _allowed(line: str, allow: tuple[str, ...]) -> bool:
    """Whether the line is a run of allow-list entries (each as a whole)."""
    entries = {k for k in map(_key, allow) if k}
    key = _key(line)
    if not entries or not key:
        return False
    ends = {0}  # positions in `key` that a run of entries can reach
    for i in range(len(key)):
        if i in ends:
            ends |= {i + len(e) for e in entries if key.startswith(e, i)}
    return len(key) in ends


def _phone(group: str) -> bool:
    digits = re.sub(r"\D", "", group)
    if group.startswith("+"):
        return 10 <= len(digits) <= 15
    if digits.startswith("00"):
        return 11 <= len(digits) <= 15
    return digits.startswith("0") and len(digits) == 10


def _plate(candidate: str) -> bool:
    chars = re.sub(r"[- ·]", "", candidate)
    return 6 <= len(chars) <= 8 and any(c.isdigit() for c in chars) and any(c.isalpha() for c in chars)


def _code(line: str) -> bool:
    """5 to 10 capitals and digits, at least one of them a digit (the reader takes a plate's 0 for an O,
    its 8 for a B: GNO6BG, JBP4V)."""
    chars = [c for c in line if c.isalnum()]
    return 5 <= len(chars) <= 10 and any(c.isdigit() for c in chars) and any(c.isalpha() for c in chars)


def two_line_plate(top: str, bottom: str) -> bool:
    """Whether two short lines, one right above the other, are a licence plate read together ("51F"
    over "888.26"). The reader often takes such a plate's letter for a digit ("51D" read "510"), so 6
    to 10 digits alone are a plate here too."""
    line = " ".join(f"{top} {bottom}".split())
    digits = sum(c.isdigit() for c in line)
    alone = CODE_LINE.fullmatch(line) and 6 <= digits <= 10 and digits == sum(c.isalnum() for c in line)
    return classify(line) == TextLabel.PLATE or bool(alone)


def _tokens(line: str) -> list[str]:
    """Words without accents, glued words split (Mw.J.deVries -> Mw. J. de Vries)."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", line) if not unicodedata.combining(c))
    return re.sub(r"(?<=[a-z])(?=[A-Z])|(?<=\.)(?=[A-Za-z])", " ", plain.replace(",", " ")).split()


def _name_in_sentence(line: str, allow: tuple[str, ...]) -> bool:
    """A short sentence (a banner, a sign) with a capitalised word after its first that is no
    signage word, abbreviation or allowed word: "Fijne verjaardag Anna!"."""
    raw = _tokens(line)
    tokens = [t.strip(".,:;!?'\"()") for t in raw]
    allowed = {_key(w) for entry in allow for w in entry.split()}
    if len(tokens) > SENTENCE or any(_abbreviation(t) for t in tokens):
        return False
    starts = {i for i in range(1, len(raw)) if raw[i - 1][-1] in ".!?" and tokens[i - 1].casefold() not in TITLES}
    return any(
        NAME_WORD.fullmatch(t) and t.casefold() not in GENERAL_WORDS and _key(t) not in allowed
        for i, t in enumerate(tokens)
        if i and i not in starts  # a capital that starts a sentence says nothing
    )


def _abbreviation(token: str) -> bool:
    """EMT, GGZ, NS: two or three capitals that are not a particle (DE, VAN)."""
    return token.isalpha() and token.isupper() and 2 <= len(token) <= 3 and token.casefold() not in PARTICLES


def _name(line: str) -> bool:
    """One to four capitalised name words, with particles, titles and initials."""
    tokens = _tokens(line)
    words, marked = [], False
    for i, token in enumerate(tokens):
        token = token.rstrip(":")
        bare = token.rstrip(".").casefold()
        if bare in TITLES and i == 0:
            marked = True
        elif INITIALS.fullmatch(token):
            marked = marked or len(tokens) > 1
        elif bare in PARTICLES and i < len(tokens) - 1:
            continue  # a particle (van, de, ...)
        elif NAME_WORD.fullmatch(token):
            if _abbreviation(token) and len(tokens) > 1:
                return False  # an organisation (EMT MADRID, GGZ Noord)
            words.append(token)
        else:
            return False
    if not 1 <= len(words) <= 4:
        return False
    return marked or not all(w.casefold() in GENERAL_WORDS for w in words)
