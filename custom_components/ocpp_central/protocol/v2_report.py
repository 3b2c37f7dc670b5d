"""OCPP 2.x device model reports (NotifyReport): collect the parts, read the inventory."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Final

from ..model import ConfigurationValue

# Components whose presence (and Enabled/Available variable) means the charger offers what a
# 1.6 charger lists as a feature profile; entities and actions check the 1.6 names.
_FEATURE_COMPONENTS: Final = {
    "SmartChargingCtrlr": "SmartCharging",
    "ReservationCtrlr": "Reservation",
    "LocalAuthListCtrlr": "LocalAuthListManagement",
}
# Every 2.x charger implements these functional blocks (OCPP 2.0.1 part 2, "Core").
_ALWAYS: Final = frozenset({"Core", "FirmwareManagement", "RemoteTrigger"})


def variable_key(component: dict[str, Any], variable: dict[str, Any]) -> str:
    """Our name of a device-model variable: "Component[evse].Variable[instance]"."""
    name = str(component.get("name", ""))
    evse = component.get("evse") or {}
    if "id" in evse:
        name += f"[{evse['id']}]"
    key = f"{name}.{variable.get('name', '')}"
    if instance := variable.get("instance"):
        key += f"[{instance}]"
    return key


@dataclass(slots=True)
class Inventory:
    """What a full report says about a charger."""

    values: dict[str, ConfigurationValue] = field(default_factory=dict)
    evse_ids: set[int] = field(default_factory=set)
    components: set[str] = field(default_factory=set)
    # Neither a report nor GetVariables said what the charger can do.
    capabilities_unknown: bool = False

    def add(self, report_data: list[dict[str, Any]]) -> None:
        """Add the reportData of one NotifyReport part."""
        for item in report_data:
            component = item.get("component") or {}
            variable = item.get("variable") or {}
            self.components.add(str(component.get("name", "")))
            evse = component.get("evse") or {}
            if isinstance(evse.get("id"), int) and evse["id"] > 0:
                self.evse_ids.add(evse["id"])
            for attribute in item.get("variable_attribute") or ():
                if attribute.get("type", "Actual") != "Actual":
                    continue
                self.values[variable_key(component, variable)] = ConfigurationValue(
                    value=attribute.get("value"),
                    readonly=attribute.get("mutability") == "ReadOnly",
                )

    @property
    def feature_profiles(self) -> frozenset[str]:
        """The 1.6 names of what the charger supports."""
        found = set(_ALWAYS)
        if self.capabilities_unknown:
            # Offered until the charger's first answer says otherwise.
            found.add("SmartCharging")
        for component, profile in _FEATURE_COMPONENTS.items():
            enabled = self.values.get(f"{component}.Enabled") or self.values.get(
                f"{component}.Available"
            )
            if component in self.components and (
                enabled is None or (enabled.value or "").lower() == "true"
            ):
                found.add(profile)
        return frozenset(found)


class ReportCollector:
    """Waits for every part of one report (parts end with tbc false)."""

    def __init__(self) -> None:
        """Start an empty report."""
        self.inventory = Inventory()
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._seq_nos: set[int] = set()
        self._last_seq_no: int | None = None

    def add(self, seq_no: int, report_data: list[dict[str, Any]], tbc: bool) -> None:
        """Add one part; parts may arrive in any order, the last one says tbc false."""
        if seq_no in self._seq_nos:
            return
        self._seq_nos.add(seq_no)
        self.inventory.add(report_data)
        if not tbc:
            self._last_seq_no = seq_no
        # Complete once the last part and every part before it (seqNo 0..last) are in.
        last = self._last_seq_no
        if not self.done.done() and last is not None and len(self._seq_nos) == last + 1:
            self.done.set_result(None)
