"""privacyscreen: screen workplace photos before they are shared (detect, redact, rebuild, report)."""

__version__ = "0.1.0"
