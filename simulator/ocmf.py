"""Signed meter readings as calibration-law (Eichrecht) chargers send them: OCMF strings.

An OCMF reading is ``OCMF|{payload}|{signature}`` (Open Charge Metering Format 1.0, S.A.F.E.).
The simulator has no certified meter: the "signature" is a SHA-256 of the payload, enough for a
central system, which stores and forwards signed data but never checks it (the driver's
transparency software does).
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any, Final

SIGNING_METHOD: Final = "ECDSA-secp256r1-SHA256"
# A stand-in for the meter's public key (hex of a P-256 point is what meters print).
PUBLIC_KEY: Final = "3059301306072A8648CE3D020106082A8648CE3D03010703420004" + "AB" * 64
_TRANSACTION_MARK: Final = {"Transaction.Begin": "B", "Transaction.End": "E"}


def ocmf(serial_number: str, energy_wh: float, timestamp: str, context: str) -> str:
    """An OCMF string for one energy register reading (kWh, as meters sign it)."""
    payload = {
        "FV": "1.0",
        "GI": "OCPP Central simulator",
        "GS": serial_number,
        "PG": "T1",
        "RD": [
            {
                "TM": f"{timestamp[:23]}+0000 S",
                "TX": _TRANSACTION_MARK.get(context, "T"),
                "RV": round(energy_wh / 1000.0, 4),
                "RI": "1-b:1.8.0",
                "RU": "kWh",
                "ST": "G",
            }
        ],
    }
    text = json.dumps(payload, separators=(",", ":"))
    signature = {"SA": SIGNING_METHOD, "SD": hashlib.sha256(text.encode()).hexdigest()}
    return f"OCMF|{text}|{json.dumps(signature, separators=(',', ':'))}"


def signed_sample_16(
    serial_number: str, energy_wh: float, timestamp: str, context: str
) -> dict[str, Any]:
    """A 1.6 SampledValue carrying the signed reading (format SignedData)."""
    return {
        "value": ocmf(serial_number, energy_wh, timestamp, context),
        "format": "SignedData",
        "context": context,
        "measurand": "Energy.Active.Import.Register",
        "unit": "Wh",
    }


def signed_meter_value_2x(
    serial_number: str, energy_wh: float, timestamp: str, context: str
) -> dict[str, Any]:
    """A 2.x signedMeterValue (the OCMF string base64 encoded, as signedMeterData asks)."""
    data = ocmf(serial_number, energy_wh, timestamp, context)
    return {
        "signedMeterData": base64.b64encode(data.encode()).decode(),
        "signingMethod": SIGNING_METHOD,
        "encodingMethod": "OCMF",
        "publicKey": base64.b64encode(PUBLIC_KEY.encode()).decode(),
    }
