"""Every sentence a user sees, in English and Dutch, looked up by a short code."""

from __future__ import annotations

import os

LANGUAGES = ("en", "nl")

CATALOG: dict[str, dict[str, str]] = {
    # verdicts
    "no-people": {"en": "no people", "nl": "geen mensen"},
    "anonymized": {"en": "anonymized", "nl": "geanonimiseerd"},
    "needs-consent": {"en": "needs consent", "nl": "toestemming nodig"},
    "consented": {"en": "consented", "nl": "toestemming aanwezig"},
    "error": {"en": "error", "nl": "fout"},
    # reasons
    "reason-no-people": {
        "en": "no person found: safe to share",
        "nl": "geen persoon gevonden: veilig om te delen",
    },
    "reason-faces-redacted": {
        "en": "{count} face(s) made unrecognisable: safe to share",
        "nl": "{count} gezicht(en) onherkenbaar gemaakt: veilig om te delen",
    },
    "reason-metadata-removed": {
        "en": "identifying metadata removed: {items}",
        "nl": "identificerende metadata verwijderd: {items}",
    },
    # metadata items
    "gps": {"en": "GPS location", "nl": "GPS-locatie"},
    "owner-name": {"en": "owner or author name", "nl": "naam van eigenaar of maker"},
    "camera-serial": {"en": "camera serial number", "nl": "serienummer van de camera"},
    "description": {"en": "description or comment", "nl": "beschrijving of opmerking"},
    "exif-thumbnail": {"en": "hidden preview image", "nl": "verborgen voorbeeldfoto"},
    "exif": {"en": "camera data (EXIF)", "nl": "cameragegevens (EXIF)"},
    "xmp-face-regions": {"en": "tagged face regions", "nl": "gemarkeerde gezichten"},
    "xmp-person-names": {"en": "names of people", "nl": "namen van personen"},
    "xmp": {"en": "XMP metadata", "nl": "XMP-metadata"},
    "iptc": {"en": "IPTC captions and keywords", "nl": "IPTC-bijschriften en trefwoorden"},
    "comment": {"en": "file comment", "nl": "opmerking in het bestand"},
    "text-chunks": {"en": "text fields", "nl": "tekstvelden"},
    "extra-frames": {"en": "extra images in the file", "nl": "extra afbeeldingen in het bestand"},
    # errors
    "error-empty": {"en": "the file is empty", "nl": "het bestand is leeg"},
    "error-not-an-image": {"en": "this is not a photo", "nl": "dit is geen foto"},
    "error-unsupported": {
        "en": "this photo format is not supported ({detail}); use JPEG, PNG, WebP or HEIC",
        "nl": "dit fotoformaat wordt niet ondersteund ({detail}); gebruik JPEG, PNG, WebP of HEIC",
    },
    "error-too-large": {
        "en": "the photo is too large to screen safely ({detail})",
        "nl": "de foto is te groot om veilig te controleren ({detail})",
    },
    "error-animated": {
        "en": "animated images are not supported ({detail})",
        "nl": "bewegende afbeeldingen worden niet ondersteund ({detail})",
    },
    "error-corrupt": {
        "en": "the photo is damaged or incomplete and cannot be read",
        "nl": "de foto is beschadigd of onvolledig en kan niet worden gelezen",
    },
    "error-unreadable": {
        "en": "the file cannot be opened (no permission)",
        "nl": "het bestand kan niet worden geopend (geen toegang)",
    },
    "error-missing": {"en": "the file does not exist", "nl": "het bestand bestaat niet"},
    "error-symlink": {
        "en": "this is a shortcut (symbolic link); it is not followed",
        "nl": "dit is een snelkoppeling (symbolische link); die wordt niet gevolgd",
    },
    "error-write": {
        "en": "the safe copy could not be written ({detail})",
        "nl": "de veilige kopie kon niet worden opgeslagen ({detail})",
    },
    "error-verify": {
        "en": "the safe copy failed its final check ({detail}); it was not saved",
        "nl": "de veilige kopie kwam niet door de eindcontrole ({detail}); niet opgeslagen",
    },
    "error-internal": {
        "en": "unexpected problem while screening ({detail})",
        "nl": "onverwacht probleem tijdens de controle ({detail})",
    },
    # check (pre-commit)
    "check-faces": {
        "en": "{count} recognisable face(s): screen it with 'privacyscreen run' first, or publish it only "
        "with a signed consent form",
        "nl": "{count} herkenbaar gezicht(en): eerst controleren met 'privacyscreen run', of alleen "
        "publiceren met een getekend toestemmingsformulier",
    },
    "check-metadata": {
        "en": "identifying metadata ({items}): 'privacyscreen run' removes it",
        "nl": "identificerende metadata ({items}): 'privacyscreen run' verwijdert die",
    },
    # drop folder
    "watch-seen": {"en": "already screened, original kept", "nl": "al eerder gecontroleerd, origineel bewaard"},
    "watch-next-ready": {
        "en": "Ready to share: use the photo in this folder. The original is kept in 'originals'.",
        "nl": "Klaar om te delen: gebruik de foto in deze map. Het origineel staat in 'originals'.",
    },
    "watch-next-rejected": {
        "en": "Not shared: this photo could not be checked. Take or export it again and drop it in once more.",
        "nl": "Niet gedeeld: deze foto kon niet worden gecontroleerd. Maak of exporteer hem opnieuw en "
        "zet hem nog eens in de map.",
    },
    "watch-started": {
        "en": "Watching {inbox}; results in {out}. Stop with Ctrl-C.",
        "nl": "Map {inbox} wordt bewaakt; resultaten in {out}. Stoppen met Ctrl-C.",
    },
    # HTML report
    "html-title": {"en": "privacyscreen report", "nl": "privacyscreen-verslag"},
    # run summary
    "summary": {
        "en": "{total} photo(s) screened: {counts}.",
        "nl": "{total} foto('s) gecontroleerd: {counts}.",
    },
    "summary-outputs": {
        "en": "Safe copies are in {out}. Report: {report}",
        "nl": "Veilige kopieën staan in {out}. Verslag: {report}",
    },
    "summary-errors": {
        "en": "{count} photo(s) could not be screened and were not copied.",
        "nl": "{count} foto('s) konden niet worden gecontroleerd en zijn niet gekopieerd.",
    },
}


def shown(path: object) -> str:
    """A path as one printable line: a file name with a newline or control character cannot
    break the one-line-per-photo output or fake a line of its own."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(path))


def default_language() -> str:
    """Dutch when the user's locale is Dutch, otherwise English."""
    for var in ("PRIVACYSCREEN_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value:
            return "nl" if value.lower().startswith("nl") else "en"
    return "en"


def say(code: str, lang: str = "en", **params: object) -> str:
    """The sentence for `code` in `lang`, with `params` filled in."""
    return CATALOG[code][lang].format(**params)


def both(code: str, **params: object) -> dict[str, str]:
    """The sentence in every language, for reports."""
    return {lang: say(code, lang, **params) for lang in LANGUAGES}
