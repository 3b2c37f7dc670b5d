"""Unit normalisation of sampled values (every unit OCPP 1.6 defines)."""

from __future__ import annotations

from homeassistant.util import dt as dt_util
import pytest

from custom_components.ocpp_central.metering import normalise
from custom_components.ocpp_central.model import ANY_CONNECTOR, Charger, Measurand
from custom_components.ocpp_central.validation import InvalidInputError, Violation

NOW = dt_util.utcnow()


@pytest.mark.parametrize(
    ("measurand", "value", "unit", "expected_value", "expected_unit"),
    [
        ("Energy.Active.Import.Register", "1.5", "kWh", 1500.0, "Wh"),
        ("Energy.Active.Import.Register", "1500", "Wh", 1500.0, "Wh"),
        ("Energy.Active.Import.Register", "1500", None, 1500.0, "Wh"),
        (None, "42", None, 42.0, "Wh"),
        ("Energy.Reactive.Import.Register", "2", "kvarh", 2000.0, "varh"),
        ("Energy.Reactive.Export.Register", "2", None, 2.0, "varh"),
        ("Power.Active.Import", "7.4", "kW", 7400.0, "W"),
        ("Power.Active.Import", "7400", None, 7400.0, "W"),
        ("Power.Reactive.Import", "1", "kvar", 1000.0, "var"),
        ("Power.Reactive.Import", "1", None, 1.0, "var"),
        ("Power.Offered", "11", "kVA", 11000.0, "VA"),
        ("Current.Import", "16", "A", 16.0, "A"),
        ("Voltage", "230", None, 230.0, "V"),
        ("Temperature", "300", "K", pytest.approx(26.85), "Celsius"),
        ("Temperature", "95", "Fahrenheit", 35.0, "Celsius"),
        ("Temperature", "35", "Celcius", 35.0, "Celsius"),
        ("SoC", "80", None, 80.0, "Percent"),
        ("Frequency", "50", "Hertz", 50.0, "Hertz"),
        ("Power.Factor", "0.98", None, 0.98, ""),
        ("RPM", "1200", None, 1200.0, ""),
    ],
)
def test_normalise_units(
    measurand: str | None,
    value: str,
    unit: str | None,
    expected_value: float,
    expected_unit: str,
) -> None:
    """Values come out in W, Wh, var, varh, VA, A, V, Celsius, Percent and Hertz."""
    sample = normalise(measurand, value, unit, NOW)
    assert sample is not None
    assert sample.value == expected_value
    assert sample.unit == expected_unit


def test_multiplier_and_rejects() -> None:
    """A 2.x power-of-ten multiplier applies; unknown or non-numeric values are dropped.

    Numbers that are numeric but not finite or out of range are refused, not dropped: the
    adapter answers them with PropertyConstraintViolation.
    """
    sample = normalise("Energy.Active.Import.Register", "12", "Wh", NOW, multiplier=3)
    assert sample is not None
    assert sample.measurand is Measurand.ENERGY_ACTIVE_IMPORT_REGISTER
    assert sample.value == 12000.0
    assert normalise("Bogus.Measurand", "1", None, NOW) is None
    assert normalise("Voltage", "n/a", None, NOW) is None
    for value, multiplier in (("nan", 0), ("inf", 0), ("1e300", 0), ("1", 309), ("1", 2**60)):
        with pytest.raises(InvalidInputError) as err:
            normalise("Voltage", value, None, NOW, multiplier=multiplier)
        assert err.value.violation is Violation.PROPERTY
    # A kWh value that only overflows after the unit conversion is refused too.
    with pytest.raises(InvalidInputError):
        normalise("Energy.Active.Import.Register", "1e308", "kWh", NOW)
    # Tiny numbers are fine (a negative multiplier rounds them to zero).
    sample = normalise("Voltage", "1", None, NOW, multiplier=-400)
    assert sample is not None
    assert sample.value == 0.0


def test_a_meter_frame_wakes_only_what_shows_readings() -> None:
    """Statuses and settings are not asked about every frame; totals hear every connector."""
    charger = Charger("CP1")
    calls: list[str] = []
    charger.add_listener(1, lambda: calls.append("power"))
    charger.add_listener(1, lambda: calls.append("status"), readings=False)
    remove = charger.add_listener(ANY_CONNECTOR, lambda: calls.append("month"))
    charger.notify(1, readings_only=True)
    assert calls == ["power", "month"]
    calls.clear()
    charger.notify(1)
    assert calls == ["power", "status", "month"]
    calls.clear()
    remove()
    charger.notify(2, readings_only=True)
    charger.notify(0)
    assert calls == []
    charger.notify()
    assert sorted(calls) == ["power", "status"]
