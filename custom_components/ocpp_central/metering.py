"""Normalise sampled values from any OCPP version to the model's units."""

from __future__ import annotations

from datetime import datetime
from typing import Final, NamedTuple

from .model import Measurand, SampledValue, SignedReading
from .validation import InvalidInputError, Violation, check_number

# Unit name (1.6 spelling; 2.x uses the same names) -> (normalised unit, factor).
_UNIT_FACTORS: Final[dict[str, tuple[str, float]]] = {
    "Wh": ("Wh", 1.0),
    "kWh": ("Wh", 1000.0),
    "varh": ("varh", 1.0),
    "kvarh": ("varh", 1000.0),
    "W": ("W", 1.0),
    "kW": ("W", 1000.0),
    "VA": ("VA", 1.0),
    "kVA": ("VA", 1000.0),
    "var": ("var", 1.0),
    "kvar": ("var", 1000.0),
    "A": ("A", 1.0),
    "V": ("V", 1.0),
    "Celsius": ("Celsius", 1.0),
    # OCPP 1.6 lists the misspelling too, and chargers send it.
    "Celcius": ("Celsius", 1.0),
    "Percent": ("Percent", 1.0),
    "Hertz": ("Hertz", 1.0),
}

# The unit a measurand has when the charger omits it (OCPP 1.6 section 7.31: Wh by default for
# energy; the others follow the measurand's nature).
_DEFAULT_UNITS: Final[dict[str, str]] = {
    "Energy": "Wh",
    "Power": "W",
    "Current": "A",
    "Voltage": "V",
    "Temperature": "Celsius",
    "SoC": "Percent",
    "Frequency": "Hertz",
}


def default_unit(measurand: Measurand) -> str | None:
    """The unit implied for a measurand whose sample carries none."""
    if measurand is Measurand.POWER_FACTOR or measurand is Measurand.RPM:
        return None
    if measurand.value.startswith(("Energy.Reactive", "Power.Reactive")):
        return "varh" if measurand.value.startswith("Energy") else "var"
    return _DEFAULT_UNITS.get(measurand.value.split(".", 1)[0])


def normalise(
    measurand_name: str | None,
    raw_value: str | float,
    unit: str | None,
    timestamp: datetime,
    *,
    multiplier: int = 0,
    phase: str | None = None,
    context: str | None = None,
    location: str | None = None,
) -> SampledValue | None:
    """Build a SampledValue in normalised units, or None for values we cannot interpret.

    `multiplier` is the OCPP 2.x power-of-ten exponent of the unit of measure. Raises
    InvalidInputError for numbers out of range.
    """
    try:
        measurand = Measurand(measurand_name or Measurand.ENERGY_ACTIVE_IMPORT_REGISTER)
        value = float(raw_value)
    except ValueError:
        # Unknown measurand names or signed/encoded values: nothing a sensor can show.
        return None
    try:
        value *= 10.0**multiplier
    except OverflowError:
        raise InvalidInputError(
            Violation.PROPERTY, f"{measurand} multiplier {multiplier} is out of range"
        ) from None
    unit = unit or default_unit(measurand)
    if unit == "K":
        value, unit = value - 273.15, "Celsius"
    elif unit == "Fahrenheit":
        value, unit = (value - 32.0) * 5.0 / 9.0, "Celsius"
    elif unit is not None:
        normalised_unit, factor = _UNIT_FACTORS.get(unit, (unit, 1.0))
        value, unit = value * factor, normalised_unit
    # A numeric reading that is infinite, NaN or absurdly large is refused, not skipped: it
    # would otherwise become an energy total that can never come down again.
    check_number(value)
    return SampledValue(
        measurand=measurand,
        value=value,
        unit=unit or "",
        timestamp=timestamp,
        phase=phase,
        context=context,
        location=location,
    )


class Readings(NamedTuple):
    """What a frame's meter values say: numeric samples, and readings a meter signed."""

    samples: list[SampledValue]
    signed: list[SignedReading]


# The longest signed data kept (2.1 allows 32768 characters of base64 signedMeterData).
MAX_SIGNED_DATA: Final = 32768


def signed_reading(
    data: object,
    timestamp: datetime,
    context: str | None,
    *,
    encoding: str | None = None,
    signing_method: str | None = None,
    public_key: str | None = None,
) -> SignedReading | None:
    """A signed reading as sent, or None when there is no usable signed data.

    1.6 names no encoding: OCMF data shows itself by its "OCMF|" start.
    """
    if not isinstance(data, str) or not data or len(data) > MAX_SIGNED_DATA:
        return None
    if not encoding and data.startswith("OCMF|"):
        encoding = "OCMF"
    return SignedReading(
        timestamp=timestamp,
        context=context,
        data=data,
        encoding=encoding or "",
        signing_method=signing_method or None,
        public_key=public_key or None,
    )
