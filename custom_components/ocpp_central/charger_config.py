"""Well-known charger settings shown as configuration entities, when the charger has them.

Each setting has its OCPP 1.6 configuration key and its 2.x device-model variable; an entity
exists for a charger that reported the setting as writable. Writing one is a
ChangeConfiguration / SetVariables; a setting that waits for a restart raises the
restart repair (see `CentralSystem.reboot_required`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from .errors import ChargerRejectedError
from .host import ChargerLink
from .model import Charger, ConfigurationValue
from .protocol.base import CommandStatus


@dataclass(frozen=True, slots=True)
class WellKnownSetting:
    """One setting chargers of both OCPP generations have, by its names in each."""

    v16_key: str
    v2_key: str | None

    def key_for(self, charger: Charger) -> str | None:
        """The name this charger knows the setting by, if it reported it writable."""
        for key in (self.v16_key, self.v2_key):
            if key is None:
                continue
            value = charger.configuration.get(key)
            if value is not None and not value.readonly:
                return key
        return None

    def value(self, charger: Charger) -> str | None:
        """The setting's value as the charger last reported (or took) it."""
        key = self.key_for(charger)
        return None if key is None else charger.configuration[key].value


CONNECTION_TIMEOUT: Final = WellKnownSetting("ConnectionTimeOut", "TxCtrlr.EVConnectionTimeOut")
LOCAL_AUTHORIZE_OFFLINE: Final = WellKnownSetting(
    "LocalAuthorizeOffline", "AuthCtrlr.LocalAuthorizeOffline"
)
LOCAL_PRE_AUTHORIZE: Final = WellKnownSetting("LocalPreAuthorize", "AuthCtrlr.LocalPreAuthorize")
STOP_ON_EV_DISCONNECT: Final = WellKnownSetting(
    "StopTransactionOnEVSideDisconnect", "TxCtrlr.StopTxOnEVSideDisconnect"
)
# Not standard in 1.6, but the name vendors who have one use; 2.x has no standard variable.
LIGHT_INTENSITY: Final = WellKnownSetting("LightIntensity", None)


def as_bool(value: str | None) -> bool | None:
    """A 1.6 / 2.x boolean setting ("true"/"false", any case)."""
    if value is None:
        return None
    return value.strip().lower() == "true"


def as_number(value: str | None) -> float | None:
    """A numeric setting, None when the charger reports something else."""
    try:
        return None if value is None else float(value.strip())
    except ValueError:
        return None


async def async_write(link: ChargerLink, setting: WellKnownSetting, value: str) -> CommandStatus:
    """Write the setting; the model keeps what the charger took. Refusals raise."""
    charger = link.charger
    key = setting.key_for(charger)
    if key is None:
        raise ChargerRejectedError(CommandStatus.NOT_SUPPORTED)
    results = await link.adapter.set_variables({key: value})
    status = results[0].status if results else CommandStatus.REJECTED
    if status not in (CommandStatus.ACCEPTED, CommandStatus.REBOOT_REQUIRED):
        raise ChargerRejectedError(status)
    charger.configuration[key] = ConfigurationValue(value, readonly=False)
    charger.notify(0)
    return status
