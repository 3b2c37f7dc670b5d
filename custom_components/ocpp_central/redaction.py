"""Secrets out of frames: what diagnostics show and what frame logging writes.

Id tags identify people; passwords, keys and certificates are secrets. They are replaced by
"**REDACTED**" in recorded and logged OCPP frames, in the 1.6 and 2.x spellings.
"""

from __future__ import annotations

import logging
import re
from typing import Final, override

REDACTED: Final = "**REDACTED**"

# JSON keys whose string values are secrets or identify a person.
_SECRET_KEYS: Final = (
    "idTag|parentIdTag|idToken|groupIdToken|password|authorizationKey|BasicAuthPassword"
    "|certificate|certificateChain|csr|signature|signingCertificate|location|remoteLocation"
    "|iccid|imsi"
)
_SECRET_VALUE: Final = re.compile(rf'("(?:{_SECRET_KEYS})"\s*:\s*)"(?:[^"\\]|\\.)*"')
# A configuration write names the secret in one key and carries it in another: 1.6
# {"key": "AuthorizationKey", "value": ...}, 2.x {"attributeValue": ..., "variable":
# {"name": "BasicAuthPassword"}}. In such a frame every value is hidden.
_SECRET_SETTING: Final = re.compile(r"AuthorizationKey|BasicAuthPassword")
_SETTING_VALUE: Final = re.compile(r'("(?:value|attributeValue)"\s*:\s*)"(?:[^"\\]|\\.)*"')


def is_secret_setting(key: str) -> bool:
    """Whether a configuration key or variable holds a secret (some chargers report them)."""
    return _SECRET_SETTING.search(key) is not None


def redact_frame(text: str) -> str:
    """A frame with the values of secret keys replaced (id tags, passwords, certificates)."""
    text = _SECRET_VALUE.sub(rf'\1"{REDACTED}"', text)
    if _SECRET_SETTING.search(text):
        text = _SETTING_VALUE.sub(rf'\1"{REDACTED}"', text)
    return text


class FrameRedactionFilter(logging.Filter):
    """Redacts the arguments of frame log records (they are formatted only when logged)."""

    @override
    def filter(self, record: logging.LogRecord) -> bool:
        if record.args and isinstance(record.args, tuple):
            record.args = tuple(
                redact_frame(arg) if isinstance(arg, str) else arg for arg in record.args
            )
        return True
