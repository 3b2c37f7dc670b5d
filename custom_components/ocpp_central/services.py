"""Device-targeted actions (services) of OCPP Central."""

from __future__ import annotations

from homeassistant.core import HomeAssistant, callback


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register every action of the integration."""
