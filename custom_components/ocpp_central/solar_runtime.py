"""Runs the solar-surplus controller of one connector inside Home Assistant.

The mode is part of the connector's desired state (it survives restarts with it); while it
is solar or min+solar, this runner reads the grid (and home battery) sensors on every change
and at least every few seconds, asks the pure controller in `solar.py` what to do, and
records the decision on the connector. The connector's control turns the decision into a
limit; it is the only writer of limits. A manual limit or a manual stop switches the mode
away from solar, so two controllers never fight over one charger.
"""

from __future__ import annotations

from datetime import timedelta
import time
from typing import Final

from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN, UnitOfPower
from homeassistant.core import CALLBACK_TYPE, Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers.event import (
    async_call_later,
    async_track_state_change_event,
    async_track_time_interval,
)
from homeassistant.util import dt as dt_util

from .const import (
    CONF_BATTERY_POWER_SENSOR,
    CONF_BATTERY_PRIORITY_SOC,
    CONF_BATTERY_SOC_SENSOR,
    CONF_GRID_SENSOR,
    CONF_INSTALLATION_PHASES,
    CONF_PHASE_SWITCH_DELAY,
    CONF_PHASE_SWITCH_INTERVAL,
    CONF_SOLAR_DISABLE_DELAY,
    CONF_SOLAR_ENABLE_DELAY,
    DEFAULT_PHASE_SWITCH_DELAY,
    DEFAULT_PHASE_SWITCH_INTERVAL,
    DEFAULT_SOLAR_DISABLE_DELAY,
    DEFAULT_SOLAR_ENABLE_DELAY,
    INSTALLATION_PHASES_AUTO,
)
from .control import (
    DEFAULT_PHASES,
    MIN_CURRENT,
    max_current_for,
    phases_in_use,
    supports_phase_switching,
)
from .host import ControlHost
from .model import Connector, ConnectorStatus, Measurand
from .solar import ChargingMode, SolarController, SolarDecision, SolarInputs, SolarSettings

# Delays run on the clock, not only on sensor changes: re-evaluate at least this often.
_TICK: Final = timedelta(seconds=10)
# Sensors may update many times a second; evaluating more often than this gains nothing.
_MIN_EVALUATION_INTERVAL: Final = 2.0
_SOLAR_MODES: Final = frozenset({ChargingMode.SOLAR, ChargingMode.MIN_SOLAR})


def _power_w(hass: HomeAssistant, entity_id: str | None) -> float | None:
    """A power sensor's value in W (kW converted), None when missing or not a number."""
    if not entity_id or (state := hass.states.get(entity_id)) is None:
        return None
    if state.state in (STATE_UNAVAILABLE, STATE_UNKNOWN):
        return None
    try:
        value = float(state.state)
    except ValueError:
        return None
    unit = state.attributes.get("unit_of_measurement")
    if unit == UnitOfPower.KILO_WATT:
        return value * 1000
    if unit == UnitOfPower.MEGA_WATT:
        return value * 1_000_000
    return value


class SolarRunner:
    """The charging mode of one connector and, in solar modes, the loop that follows the sun."""

    def __init__(self, central: ControlHost, charge_point_id: str, connector_id: int) -> None:
        """Follow the connector's stored mode (FAST unless the user picked another)."""
        self._central = central
        self._hass = central.hass
        self._charge_point_id = charge_point_id
        self._connector_id = connector_id
        self.decision: SolarDecision | None = None
        self._controller = SolarController(self._settings())
        self._unsubscribe: list[CALLBACK_TYPE] = []
        self._last_evaluation = -float("inf")
        self._delayed: CALLBACK_TYPE | None = None

    def _settings(self) -> SolarSettings:
        options = self._central.entry.options
        priority = options.get(CONF_BATTERY_PRIORITY_SOC)
        charger = self._central.chargers.get(self._charge_point_id)
        # Switching only where the charger can, and the user allows it: a charger without
        # 3->1 support would draw the 1-phase current on all three phases.
        switching = (
            charger is not None
            and self._central.phase_switching_allowed
            and supports_phase_switching(charger)
        )
        return SolarSettings(
            min_current=MIN_CURRENT,
            max_current=(
                max_current_for(self._central.settings, charger)
                if charger is not None
                else self._central.settings.max_current
            ),
            phases=self._installation_phases(),
            phase_switching=switching,
            enable_delay=float(options.get(CONF_SOLAR_ENABLE_DELAY, DEFAULT_SOLAR_ENABLE_DELAY)),
            phase_switch_delay=float(
                options.get(CONF_PHASE_SWITCH_DELAY, DEFAULT_PHASE_SWITCH_DELAY)
            ),
            min_phase_switch_interval=float(
                options.get(CONF_PHASE_SWITCH_INTERVAL, DEFAULT_PHASE_SWITCH_INTERVAL)
            ),
            disable_delay=float(options.get(CONF_SOLAR_DISABLE_DELAY, DEFAULT_SOLAR_DISABLE_DELAY)),
            battery_priority_soc=float(priority) if priority else None,
        )

    def _installation_phases(self) -> int:
        """The phases the installation feeds: the option, else what the charger reports."""
        chosen = str(
            self._central.entry.options.get(CONF_INSTALLATION_PHASES, INSTALLATION_PHASES_AUTO)
        )
        if chosen != INSTALLATION_PHASES_AUTO:
            return int(chosen)
        charger = self._central.chargers.get(self._charge_point_id)
        if charger is None:
            return DEFAULT_PHASES
        return phases_in_use(charger.connector(self._connector_id))

    @property
    def mode(self) -> ChargingMode:
        """The connector's charging mode (part of its stored desired state)."""
        try:
            return ChargingMode(self._connector().desired.mode)
        except ValueError:
            return ChargingMode.FAST

    def _connector(self) -> Connector:
        return self._central.chargers[self._charge_point_id].connector(self._connector_id)

    async def async_set_mode(self, mode: ChargingMode) -> None:
        """Switch mode: OFF pauses, FAST charges at the limit, solar modes follow the sun."""
        self._stop_listening()
        self._controller = SolarController(self._settings())
        self.decision = None
        connector = self._connector()
        connector.solar = None
        # The controller decides for the new mode.
        connector.desired.mode = mode.value
        if mode in _SOLAR_MODES:
            self._listen()
            self._decide()
        await self._central.control(self._charge_point_id, self._connector_id).async_set_mode(mode)

    @callback
    def settings_changed(self) -> None:
        """The charger's limits changed: decide with them from the next reading on."""
        self._controller.reconfigure(self._settings())

    @callback
    def resume(self) -> None:
        """Follow the sun again after a restart, if the stored mode is a solar one."""
        if self.mode in _SOLAR_MODES and not self._unsubscribe:
            self._listen()
            self._schedule()

    @callback
    def manual_override(self, mode: ChargingMode) -> None:
        """The user set a limit or switched charging by hand: leave solar mode."""
        if self.mode in _SOLAR_MODES or mode is ChargingMode.OFF or self.mode is ChargingMode.OFF:
            self._stop_listening()
            self.decision = None
            connector = self._connector()
            connector.solar = None
            connector.desired.mode = mode.value
            self._notify()

    def _listen(self) -> None:
        options = self._central.entry.options
        sensors = [
            entity_id
            for entity_id in (
                options.get(CONF_GRID_SENSOR),
                options.get(CONF_BATTERY_POWER_SENSOR),
                options.get(CONF_BATTERY_SOC_SENSOR),
            )
            if entity_id
        ]
        if sensors:
            self._unsubscribe.append(
                async_track_state_change_event(self._hass, sensors, self._sensor_changed)
            )
        self._unsubscribe.append(async_track_time_interval(self._hass, self._tick, _TICK))

    @callback
    def _stop_listening(self) -> None:
        while self._unsubscribe:
            self._unsubscribe.pop()()
        if self._delayed is not None:
            self._delayed()
            self._delayed = None

    @callback
    def _sensor_changed(self, _event: Event[EventStateChangedData]) -> None:
        self._schedule()

    @callback
    def _tick(self, _now: object) -> None:
        self._schedule()

    @callback
    def _schedule(self) -> None:
        wait = self._last_evaluation + _MIN_EVALUATION_INTERVAL - time.monotonic()
        if wait > 0:
            # Too soon after the last one: evaluate once when the interval is over.
            if self._delayed is None:
                self._delayed = async_call_later(self._hass, wait, self._run_delayed)
            return
        self._central.entry.async_create_background_task(
            self._hass, self._evaluate(), f"ocpp_central {self._charge_point_id} solar"
        )

    @callback
    def _run_delayed(self, _now: object) -> None:
        self._delayed = None
        self._schedule()

    def _inputs(self) -> SolarInputs:
        options = self._central.entry.options
        connector = self._central.chargers[self._charge_point_id].connector(self._connector_id)
        charger_power = connector.active_power() or 0.0
        soc_state = self._hass.states.get(options.get(CONF_BATTERY_SOC_SENSOR) or "")
        try:
            soc = float(soc_state.state) if soc_state else None
        except ValueError:
            soc = None
        return SolarInputs(
            now=time.monotonic(),
            grid_power_w=_power_w(self._hass, options.get(CONF_GRID_SENSOR)) or 0.0,
            charger_power_w=charger_power,
            battery_power_w=_power_w(self._hass, options.get(CONF_BATTERY_POWER_SENSOR)),
            battery_soc=soc,
            voltage=connector.reading(Measurand.VOLTAGE),
        )

    async def _evaluate(self) -> None:
        self._last_evaluation = time.monotonic()
        if self._charge_point_id not in self._central.chargers or self.mode not in _SOLAR_MODES:
            return
        if self._awaiting_fresh_reading():
            return
        previous = self.decision
        decision = self._decide()
        if previous is not None and (previous.current, previous.phases) == (
            decision.current,
            decision.phases,
        ):
            return
        self._central.control(self._charge_point_id, self._connector_id).request()

    def _awaiting_fresh_reading(self) -> bool:
        """Whether the charger's power predates our last limit change (then wait for it).

        The grid sensor is live, the charger's reading up to a meter interval old: deciding
        on a reading from before the last change counts the old charging power as surplus
        (or as import) and makes the loop oscillate. After two meter intervals without a
        reading the loop goes on with what it has.
        """
        connector = self._connector()
        changed = connector.limit.changed_at
        sampled = connector.power_sample_time()
        if connector.status is not ConnectorStatus.CHARGING or changed is None:
            return False
        if sampled is not None and sampled >= changed:
            return False
        patience = timedelta(seconds=2 * self._central.settings.meter_interval)
        return dt_util.utcnow() - changed < patience

    def _decide(self) -> SolarDecision:
        decision = self._controller.update(self.mode, self._inputs())
        self.decision = decision
        self._connector().solar = decision
        self._notify()
        return decision

    def _notify(self) -> None:
        charger = self._central.chargers.get(self._charge_point_id)
        if charger is not None:
            charger.notify(self._connector_id)

    @callback
    def stop(self) -> None:
        """Stop following sensors (unload)."""
        self._stop_listening()
