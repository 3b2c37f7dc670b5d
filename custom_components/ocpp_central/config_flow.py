"""Config flow: the central system (user, reconfigure, options) and new-charger discovery."""

from __future__ import annotations

from collections.abc import Mapping
import errno
import socket
from typing import Any, Final, override

from homeassistant.components.sensor import SensorDeviceClass
from homeassistant.config_entries import ConfigEntryState, ConfigFlow, ConfigFlowResult, OptionsFlow
from homeassistant.core import HomeAssistant, callback
from homeassistant.data_entry_flow import section
from homeassistant.helpers.selector import (
    AreaSelector,
    BooleanSelector,
    DateTimeSelector,
    EntitySelector,
    EntitySelectorConfig,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.helpers.typing import DiscoveryInfoType
from homeassistant.util import dt as dt_util
import voluptuous as vol

from . import OcppConfigEntry
from .central import discovery_unique_id
from .const import (
    ALL_MEASURANDS,
    CALL_TIMEOUT,
    CONF_AUTO_ACCEPT,
    CONF_BATTERY_POWER_SENSOR,
    CONF_BATTERY_PRIORITY_SOC,
    CONF_BATTERY_SOC_SENSOR,
    CONF_CALL_TIMEOUT,
    CONF_FAILSAFE_CURRENT,
    CONF_GRID_SENSOR,
    CONF_HEARTBEAT_INTERVAL,
    CONF_HOST,
    CONF_ID_TAG,
    CONF_IDLE_TIMEOUT,
    CONF_INSTALLATION_PHASES,
    CONF_LIMIT_INTERVAL,
    CONF_MAX_CONNECTIONS_PER_ADDRESS,
    CONF_MAX_CONNECTORS,
    CONF_MAX_CURRENT,
    CONF_MAX_FRAME_KB,
    CONF_MAX_MESSAGE_RATE,
    CONF_MAX_PENDING_CHARGERS,
    CONF_MAX_UPLOAD_MB,
    CONF_MEASURANDS,
    CONF_METER_INTERVAL,
    CONF_OCPP_VERSION,
    CONF_PHASE_SWITCH_DELAY,
    CONF_PHASE_SWITCH_INTERVAL,
    CONF_PHASE_SWITCHING,
    CONF_PORT,
    CONF_SOLAR_DISABLE_DELAY,
    CONF_SOLAR_ENABLE_DELAY,
    CONF_TLS_CERTIFICATE,
    CONF_TLS_KEY,
    CONF_TLS_MIN_VERSION,
    CONF_TLS_PORT,
    CONF_TRANSFER_URL,
    DEFAULT_AUTO_ACCEPT,
    DEFAULT_FAILSAFE_CURRENT,
    DEFAULT_HEARTBEAT_INTERVAL,
    DEFAULT_HOST,
    DEFAULT_ID_TAG,
    DEFAULT_IDLE_TIMEOUT,
    DEFAULT_LIMIT_INTERVAL,
    DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
    DEFAULT_MAX_CONNECTORS,
    DEFAULT_MAX_CURRENT,
    DEFAULT_MAX_FRAME_KB,
    DEFAULT_MAX_MESSAGE_RATE,
    DEFAULT_MAX_PENDING_CHARGERS,
    DEFAULT_MAX_UPLOAD_MB,
    DEFAULT_MEASURANDS,
    DEFAULT_METER_INTERVAL,
    DEFAULT_PHASE_SWITCH_DELAY,
    DEFAULT_PHASE_SWITCH_INTERVAL,
    DEFAULT_PORT,
    DEFAULT_SOLAR_DISABLE_DELAY,
    DEFAULT_SOLAR_ENABLE_DELAY,
    DOMAIN,
    INSTALLATION_PHASES_AUTO,
    INSTALLATION_PHASES_CHOICES,
    OCPP_VERSION_AUTO,
    OCPP_VERSION_FORM_CHOICES,
)
from .history import CONF_HISTORY_DAYS, CONF_HOME_CHARGING_COMPENSATION, DEFAULT_KEEP_DAYS
from .model import ChargerInfo
from .ocpi import OCPI_PATH
from .ocpi_registry import CONF_OCPI_ENABLED, CONF_OCPI_PARTY_ID, DEFAULT_PARTY_ID
from .security_flow import SecuritySteps
from .tags import CONF_TAGS, CONF_UNKNOWN_TAGS, IdTag, UnknownTagPolicy
from .tariff import CONF_PRICE, CONF_PRICE_SENSOR, CONF_SESSION_FEE
from .tls import TlsVersion
from .transfer import known_base_url


def _whole_number(minimum: int, maximum: int, unit: str | None = None) -> vol.All:
    """A whole number typed into a box, stored as int."""
    config = NumberSelectorConfig(min=minimum, max=maximum, step=1, mode=NumberSelectorMode.BOX)
    if unit is not None:
        config["unit_of_measurement"] = unit
    return vol.All(NumberSelector(config), vol.Coerce(int))


SERVER_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_HOST, default=DEFAULT_HOST): TextSelector(),
        vol.Required(CONF_PORT, default=DEFAULT_PORT): _whole_number(1, 65535),
    }
)


# The discovery card's form: where the new charger's device goes (optional).
CONF_AREA: Final = "area"
CONF_PROTECT: Final = "protect"
ACCEPT_SCHEMA: Final = vol.Schema(
    {
        vol.Optional(CONF_AREA): AreaSelector(),
        vol.Optional(CONF_PROTECT, default=True): BooleanSelector(),
    }
)


def _measurand_slug(measurand: str) -> str:
    """A measurand's name in the form (translation keys are slugs): Power.Offered -> power_offered."""
    return measurand.lower().replace(".", "_")


# Measurands as the form names them (with translated labels) -> as OCPP and the options name them.
MEASURAND_FORM_CHOICES: Final = {_measurand_slug(m): m for m in ALL_MEASURANDS}

# The options form in sections, each a group of settings a user looks for together. The
# options themselves stay flat (each key names one setting); only the form nests them.
OPTION_SECTIONS: Final[dict[str, tuple[bool, vol.Schema]]] = {
    # Section -> (collapsed at first, the settings in it).
    "limits": (
        False,
        vol.Schema(
            {
                vol.Required(CONF_MAX_CURRENT, default=DEFAULT_MAX_CURRENT): _whole_number(
                    6, 80, "A"
                ),
                vol.Required(
                    CONF_FAILSAFE_CURRENT, default=DEFAULT_FAILSAFE_CURRENT
                ): _whole_number(0, 80, "A"),
                vol.Required(CONF_LIMIT_INTERVAL, default=DEFAULT_LIMIT_INTERVAL): _whole_number(
                    1, 600, "s"
                ),
                vol.Required(CONF_ID_TAG, default=DEFAULT_ID_TAG): TextSelector(),
            }
        ),
    ),
    "solar": (
        False,
        vol.Schema(
            {
                vol.Optional(CONF_GRID_SENSOR): EntitySelector(
                    EntitySelectorConfig(domain="sensor", device_class=SensorDeviceClass.POWER)
                ),
                vol.Optional(CONF_BATTERY_POWER_SENSOR): EntitySelector(
                    EntitySelectorConfig(domain="sensor", device_class=SensorDeviceClass.POWER)
                ),
                vol.Optional(CONF_BATTERY_SOC_SENSOR): EntitySelector(
                    EntitySelectorConfig(domain="sensor", device_class=SensorDeviceClass.BATTERY)
                ),
                vol.Optional(CONF_BATTERY_PRIORITY_SOC): _whole_number(0, 100, "%"),
                vol.Required(
                    CONF_SOLAR_ENABLE_DELAY, default=DEFAULT_SOLAR_ENABLE_DELAY
                ): _whole_number(0, 3600, "s"),
                vol.Required(
                    CONF_SOLAR_DISABLE_DELAY, default=DEFAULT_SOLAR_DISABLE_DELAY
                ): _whole_number(0, 3600, "s"),
                vol.Required(
                    CONF_INSTALLATION_PHASES, default=INSTALLATION_PHASES_AUTO
                ): SelectSelector(
                    SelectSelectorConfig(
                        options=list(INSTALLATION_PHASES_CHOICES),
                        mode=SelectSelectorMode.DROPDOWN,
                        translation_key=CONF_INSTALLATION_PHASES,
                    )
                ),
                vol.Required(CONF_PHASE_SWITCHING, default=False): BooleanSelector(),
                vol.Required(
                    CONF_PHASE_SWITCH_DELAY, default=DEFAULT_PHASE_SWITCH_DELAY
                ): _whole_number(0, 3600, "s"),
                vol.Required(
                    CONF_PHASE_SWITCH_INTERVAL, default=DEFAULT_PHASE_SWITCH_INTERVAL
                ): _whole_number(0, 86400, "s"),
            }
        ),
    ),
    "costs": (
        True,
        vol.Schema(
            {
                vol.Optional(CONF_PRICE): vol.All(
                    NumberSelector(
                        NumberSelectorConfig(
                            min=0, max=100, step="any", mode=NumberSelectorMode.BOX
                        )
                    ),
                    vol.Coerce(float),
                ),
                vol.Optional(CONF_PRICE_SENSOR): EntitySelector(
                    EntitySelectorConfig(domain="sensor")
                ),
                vol.Optional(CONF_SESSION_FEE): vol.All(
                    NumberSelector(
                        NumberSelectorConfig(
                            min=0, max=1000, step=0.01, mode=NumberSelectorMode.BOX
                        )
                    ),
                    vol.Coerce(float),
                ),
                vol.Required(CONF_HISTORY_DAYS, default=DEFAULT_KEEP_DAYS): _whole_number(
                    7, 3650, "d"
                ),
                vol.Required(CONF_HOME_CHARGING_COMPENSATION, default=False): BooleanSelector(),
            }
        ),
    ),
    "metering": (
        True,
        vol.Schema(
            {
                vol.Required(CONF_METER_INTERVAL, default=DEFAULT_METER_INTERVAL): _whole_number(
                    1, 3600, "s"
                ),
                vol.Required(
                    CONF_MEASURANDS,
                    default=[_measurand_slug(m) for m in DEFAULT_MEASURANDS],
                ): SelectSelector(
                    SelectSelectorConfig(
                        options=list(MEASURAND_FORM_CHOICES),
                        multiple=True,
                        mode=SelectSelectorMode.DROPDOWN,
                        translation_key=CONF_MEASURANDS,
                    )
                ),
            }
        ),
    ),
    "new_chargers": (
        True,
        vol.Schema(
            {
                vol.Required(CONF_AUTO_ACCEPT, default=DEFAULT_AUTO_ACCEPT): BooleanSelector(),
                vol.Required(
                    CONF_MAX_PENDING_CHARGERS, default=DEFAULT_MAX_PENDING_CHARGERS
                ): _whole_number(1, 100),
                vol.Required(CONF_MAX_CONNECTORS, default=DEFAULT_MAX_CONNECTORS): _whole_number(
                    1, 128
                ),
            }
        ),
    ),
    "connection": (
        True,
        vol.Schema(
            {
                vol.Required(
                    CONF_HEARTBEAT_INTERVAL, default=DEFAULT_HEARTBEAT_INTERVAL
                ): _whole_number(10, 86400, "s"),
                vol.Required(CONF_OCPP_VERSION, default=OCPP_VERSION_AUTO): SelectSelector(
                    SelectSelectorConfig(
                        options=list(OCPP_VERSION_FORM_CHOICES),
                        mode=SelectSelectorMode.DROPDOWN,
                        translation_key=CONF_OCPP_VERSION,
                    )
                ),
                vol.Required(
                    CONF_MAX_CONNECTIONS_PER_ADDRESS, default=DEFAULT_MAX_CONNECTIONS_PER_ADDRESS
                ): _whole_number(0, 10000),
                vol.Optional(CONF_TRANSFER_URL): TextSelector(
                    TextSelectorConfig(type=TextSelectorType.URL)
                ),
                vol.Required(CONF_MAX_UPLOAD_MB, default=DEFAULT_MAX_UPLOAD_MB): _whole_number(
                    1, 1000, "MB"
                ),
                vol.Required(
                    CONF_MAX_MESSAGE_RATE, default=DEFAULT_MAX_MESSAGE_RATE
                ): _whole_number(0, 1000),
                vol.Required(CONF_IDLE_TIMEOUT, default=DEFAULT_IDLE_TIMEOUT): _whole_number(
                    0, 86400, "s"
                ),
                vol.Required(CONF_CALL_TIMEOUT, default=int(CALL_TIMEOUT)): _whole_number(
                    5, 300, "s"
                ),
                vol.Required(CONF_MAX_FRAME_KB, default=DEFAULT_MAX_FRAME_KB): _whole_number(
                    4, 1024, "KB"
                ),
                vol.Required(CONF_TLS_PORT, default=0): _whole_number(0, 65535),
                vol.Required(CONF_TLS_MIN_VERSION, default=TlsVersion.TLS_1_2): SelectSelector(
                    SelectSelectorConfig(
                        options=[TlsVersion.TLS_1_2, TlsVersion.TLS_1_3, TlsVersion.LEGACY],
                        mode=SelectSelectorMode.DROPDOWN,
                        translation_key=CONF_TLS_MIN_VERSION,
                    )
                ),
                vol.Optional(CONF_TLS_CERTIFICATE): TextSelector(),
                vol.Optional(CONF_TLS_KEY): TextSelector(),
            }
        ),
    ),
}

OPTIONS_SCHEMA = vol.Schema(
    {
        vol.Required(name): section(schema, {"collapsed": collapsed})
        for name, (collapsed, schema) in OPTION_SECTIONS.items()
    }
)


def options_from_form(user_input: dict[str, Any]) -> dict[str, Any]:
    """The flat options from the sectioned form, with OCPP names for versions and measurands."""
    options: dict[str, Any] = {}
    for name in OPTION_SECTIONS:
        options.update(user_input.get(name, {}))
    version = options.get(CONF_OCPP_VERSION, OCPP_VERSION_AUTO)
    options[CONF_OCPP_VERSION] = OCPP_VERSION_FORM_CHOICES[version]
    if CONF_MEASURANDS in options:
        options[CONF_MEASURANDS] = [
            MEASURAND_FORM_CHOICES.get(choice, choice) for choice in options[CONF_MEASURANDS]
        ]
    return options


def form_from_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """The sectioned form's values from the flat options (slugs for versions and measurands)."""
    current = dict(options)
    form_version = {value: key for key, value in OCPP_VERSION_FORM_CHOICES.items()}
    current[CONF_OCPP_VERSION] = form_version.get(
        str(current.get(CONF_OCPP_VERSION, OCPP_VERSION_AUTO)), OCPP_VERSION_AUTO
    )
    if CONF_MEASURANDS in current:
        current[CONF_MEASURANDS] = [_measurand_slug(m) for m in current[CONF_MEASURANDS]]
    return {
        name: {key: current[str(key)] for key in schema.schema if str(key) in current}
        for name, (_collapsed, schema) in OPTION_SECTIONS.items()
    }


def _bind_error(host: str, port: int) -> str | None:
    """Try to bind host:port the way the server will; return an error key or None."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as err:
            return "port_in_use" if err.errno == errno.EADDRINUSE else "cannot_bind"
        except (socket.gaierror, UnicodeError):
            return "cannot_bind"
    return None


async def _async_validate_server(hass: HomeAssistant, user_input: dict[str, Any]) -> str | None:
    return await hass.async_add_executor_job(
        _bind_error, user_input[CONF_HOST], user_input[CONF_PORT]
    )


class OcppCentralConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up a central system, or accept a charger that asked to join one."""

    VERSION = 1

    def __init__(self) -> None:
        """Start a flow."""
        self._discovery: dict[str, str] = {}

    @staticmethod
    @callback
    @override
    def async_get_options_flow(config_entry: OcppConfigEntry) -> OptionsFlow:
        return OcppCentralOptionsFlow()

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Choose the address and port chargers connect to."""
        errors: dict[str, str] = {}
        if user_input is not None:
            await self.async_set_unique_id(f"{user_input[CONF_HOST]}:{user_input[CONF_PORT]}")
            self._abort_if_unique_id_configured()
            if (error := await _async_validate_server(self.hass, user_input)) is None:
                return self.async_create_entry(
                    title=f"OCPP Central (port {user_input[CONF_PORT]})", data=user_input
                )
            errors["base"] = error
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(SERVER_SCHEMA, user_input),
            errors=errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Move the central system to another address or port."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            await self.async_set_unique_id(f"{user_input[CONF_HOST]}:{user_input[CONF_PORT]}")
            unchanged = entry.unique_id == self.unique_id
            if not unchanged:
                self._abort_if_unique_id_configured()
            # Our own server holds the current port, so only a new address needs checking.
            error = None if unchanged else await _async_validate_server(self.hass, user_input)
            if error is None:
                return self.async_update_reload_and_abort(
                    entry,
                    unique_id=self.unique_id,
                    title=f"OCPP Central (port {user_input[CONF_PORT]})",
                    data_updates=user_input,
                )
            errors["base"] = error
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                SERVER_SCHEMA, user_input or dict(entry.data)
            ),
            errors=errors,
        )

    async def async_step_integration_discovery(
        self, discovery_info: DiscoveryInfoType
    ) -> ConfigFlowResult:
        """A charger nobody accepted yet booted: show it as a discovered device."""
        charge_point_id = discovery_info["charge_point_id"]
        await self.async_set_unique_id(
            discovery_unique_id(discovery_info["entry_id"], charge_point_id)
        )
        self._abort_if_unique_id_configured()
        self._discovery = dict(discovery_info)
        # The card names the charger as its owner knows it: id, vendor and model.
        maker = " ".join(
            part for part in (discovery_info["vendor"], discovery_info["model"]) if part
        )
        self.context["title_placeholders"] = {
            "name": f"{charge_point_id} ({maker})" if maker else charge_point_id
        }
        return await self.async_step_accept_charger()

    async def async_step_accept_charger(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask the user whether this charger may use the central system."""
        discovery = self._discovery
        if user_input is not None:
            entry = self.hass.config_entries.async_get_entry(discovery["entry_id"])
            if entry is None or entry.state is not ConfigEntryState.LOADED:
                return self.async_abort(reason="central_not_loaded")
            central = entry.runtime_data
            await central.async_accept(
                discovery["charge_point_id"],
                ChargerInfo(
                    vendor=discovery["vendor"] or None,
                    model=discovery["model"] or None,
                    serial_number=discovery["serial_number"] or None,
                    firmware_version=discovery["firmware_version"] or None,
                ),
                area_id=user_input.get(CONF_AREA) or None,
                protect=bool(user_input.get(CONF_PROTECT, True)),
            )
            return self.async_abort(
                reason="charger_accepted",
                description_placeholders={"name": discovery["charge_point_id"]},
            )
        return self.async_show_form(
            step_id="accept_charger",
            data_schema=ACCEPT_SCHEMA,
            description_placeholders={
                "charge_point_id": discovery["charge_point_id"],
                "vendor": discovery["vendor"] or "-",
                "model": discovery["model"] or "-",
                "serial_number": discovery["serial_number"] or "-",
                "firmware_version": discovery["firmware_version"] or "-",
                "remote_address": discovery["remote_address"] or "-",
                "ocpp_version": discovery["ocpp_version"] or "-",
            },
        )


class OcppCentralOptionsFlow(SecuritySteps):
    """Settings applied to every charger of a central system, and the RFID cards; no reload."""

    def __init__(self) -> None:
        """Nothing chosen yet."""
        self._editing: str | None = None
        super().__init__()

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Choose: charger settings, RFID cards, or charger security."""
        return self.async_show_menu(
            step_id="init", menu_options=["settings", "tags", "security", "ocpi"]
        )

    async def async_step_ocpi(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """OCPI for a roaming platform or an employer: on/off, party id, the registration token."""
        central = self._central()
        if user_input is not None:
            if user_input.get(CONF_NEW_TOKEN) and central is not None:
                central.ocpi.new_registration_token()
            return self.async_create_entry(
                data={
                    **self.config_entry.options,
                    CONF_OCPI_ENABLED: bool(user_input[CONF_OCPI_ENABLED]),
                    CONF_OCPI_PARTY_ID: str(user_input[CONF_OCPI_PARTY_ID]).upper()[:3],
                }
            )
        base = known_base_url(self.hass, self.config_entry.options.get(CONF_TRANSFER_URL))
        registration = None if central is None else central.ocpi.registration
        options = self.config_entry.options
        return self.async_show_form(
            step_id="ocpi",
            data_schema=vol.Schema(
                {
                    vol.Required(
                        CONF_OCPI_ENABLED, default=options.get(CONF_OCPI_ENABLED, False)
                    ): BooleanSelector(),
                    vol.Required(
                        CONF_OCPI_PARTY_ID,
                        default=options.get(CONF_OCPI_PARTY_ID, DEFAULT_PARTY_ID),
                    ): TextSelector(),
                    vol.Required(CONF_NEW_TOKEN, default=False): BooleanSelector(),
                }
            ),
            description_placeholders={
                "url": f"{base}{OCPI_PATH}/{self.config_entry.entry_id}/versions",
                "token": "-"
                if central is None or not central.ocpi.token_a
                else central.ocpi.token_a,
                "platform": "-" if registration is None else registration.versions_url,
            },
        )

    async def async_step_settings(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Edit limits, solar, metering, acceptance and connection settings."""
        if user_input is not None:
            return self._save(options_from_form(user_input))
        return self.async_show_form(
            step_id="settings",
            data_schema=self.add_suggested_values_to_schema(
                OPTIONS_SCHEMA, form_from_options(self.config_entry.options)
            ),
        )

    def _save(self, changes: Mapping[str, Any]) -> ConfigFlowResult:
        """Store the options with `changes`; the cards and their policy are kept."""
        kept = {
            key: self.config_entry.options[key]
            for key in (CONF_TAGS, CONF_UNKNOWN_TAGS)
            if key in self.config_entry.options
        }
        return self.async_create_entry(data={**kept, **changes})

    def _tags(self) -> list[IdTag]:
        return [IdTag.from_option(item) for item in self.config_entry.options.get(CONF_TAGS, ())]

    def _save_tags(self, tags: list[IdTag]) -> ConfigFlowResult:
        return self.async_create_entry(
            data={**self.config_entry.options, CONF_TAGS: [tag.as_option() for tag in tags]}
        )

    async def async_step_tags(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Choose: add a card, edit one, or the policy for unknown cards."""
        options = ["add_tag", "tag_policy"]
        if self._tags():
            options.insert(1, "edit_tag")
        return self.async_show_menu(step_id="tags", menu_options=options)

    async def async_step_add_tag(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """A new card: its id (a recently refused or recorded one can be picked), details."""
        errors: dict[str, str] = {}
        if user_input is not None:
            id_tag = str(user_input[CONF_ID_TAG_FIELD]).strip()
            tags = self._tags()
            if not id_tag or len(id_tag) > MAX_TAG_LENGTH:
                errors[CONF_ID_TAG_FIELD] = "invalid_tag"
            elif any(tag.id_tag.casefold() == id_tag.casefold() for tag in tags):
                errors[CONF_ID_TAG_FIELD] = "duplicate_tag"
            else:
                return self._save_tags([*tags, _tag_from_form(id_tag, user_input)])
        seen = self._seen_tags()
        # Cards presented lately can be picked; any other id can be typed.
        id_field: Any = (
            SelectSelector(
                SelectSelectorConfig(
                    options=seen, custom_value=True, mode=SelectSelectorMode.DROPDOWN
                )
            )
            if seen
            else TextSelector()
        )
        fields: dict[vol.Marker, Any] = {vol.Required(CONF_ID_TAG_FIELD): id_field}
        schema = vol.Schema({**fields, **TAG_DETAILS})
        return self.async_show_form(
            step_id="add_tag",
            data_schema=self.add_suggested_values_to_schema(schema, user_input or {}),
            errors=errors,
        )

    def _seen_tags(self) -> list[str]:
        """Unknown cards presented lately (newest first), for the add form."""
        entry = self.config_entry
        central = getattr(entry, "runtime_data", None)
        if central is None:
            return []
        return list(reversed(central.unknown_tags_seen))

    async def async_step_edit_tag(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Pick the card to change."""
        if user_input is not None:
            self._editing = user_input[CONF_ID_TAG_FIELD]
            return await self.async_step_tag_details()
        choices = [
            SelectOptionDict(
                value=tag.id_tag, label=f"{tag.name} ({tag.id_tag})" if tag.name else tag.id_tag
            )
            for tag in self._tags()
        ]
        return self.async_show_form(
            step_id="edit_tag",
            data_schema=vol.Schema(
                {
                    vol.Required(CONF_ID_TAG_FIELD): SelectSelector(
                        SelectSelectorConfig(options=choices, mode=SelectSelectorMode.LIST)
                    )
                }
            ),
        )

    async def async_step_tag_details(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Rename, link, block, set the expiry of, or remove the card."""
        tags = self._tags()
        current = next((tag for tag in tags if tag.id_tag == self._editing), None)
        if current is None:
            return self.async_abort(reason="tag_not_found")
        if user_input is not None:
            others = [tag for tag in tags if tag.id_tag != current.id_tag]
            if user_input.get(CONF_REMOVE_TAG):
                return self._save_tags(others)
            return self._save_tags([*others, _tag_from_form(current.id_tag, user_input)])
        suggested = current.as_option()
        suggested.pop("id_tag")
        return self.async_show_form(
            step_id="tag_details",
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema(
                    {**TAG_DETAILS, vol.Optional(CONF_REMOVE_TAG, default=False): BooleanSelector()}
                ),
                {k: v for k, v in suggested.items() if v is not None},
            ),
            description_placeholders={"id_tag": current.id_tag},
        )

    async def async_step_tag_policy(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """What happens to cards that are not in the list."""
        if user_input is not None:
            return self.async_create_entry(
                data={**self.config_entry.options, CONF_UNKNOWN_TAGS: user_input[CONF_UNKNOWN_TAGS]}
            )
        current = self.config_entry.options.get(CONF_UNKNOWN_TAGS, UnknownTagPolicy.AUTO.value)
        return self.async_show_form(
            step_id="tag_policy",
            data_schema=vol.Schema(
                {
                    vol.Required(CONF_UNKNOWN_TAGS, default=current): SelectSelector(
                        SelectSelectorConfig(
                            options=[policy.value for policy in UnknownTagPolicy],
                            mode=SelectSelectorMode.LIST,
                            translation_key=CONF_UNKNOWN_TAGS,
                        )
                    )
                }
            ),
        )


# The OCPI form: make a new registration token (the old one stops working).
CONF_NEW_TOKEN: Final = "new_token"

# The card forms' fields.
CONF_ID_TAG_FIELD: Final = "id_tag"
CONF_REMOVE_TAG: Final = "remove"
# OCPP 1.6 IdToken is CiString20; 2.x idToken 36.
MAX_TAG_LENGTH: Final = 36
TAG_DETAILS: Final[dict[vol.Marker, Any]] = {
    vol.Optional("name"): TextSelector(),
    vol.Optional("person"): EntitySelector(EntitySelectorConfig(domain="person")),
    vol.Optional("expiry"): DateTimeSelector(),
    vol.Optional("blocked", default=False): BooleanSelector(),
}


def _tag_from_form(id_tag: str, user_input: Mapping[str, Any]) -> IdTag:
    expiry = user_input.get("expiry")
    parsed = dt_util.parse_datetime(expiry) if isinstance(expiry, str) and expiry else None
    if parsed is not None and parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt_util.get_default_time_zone())
    return IdTag(
        id_tag=id_tag,
        name=user_input.get("name") or None,
        person=user_input.get("person") or None,
        expiry=parsed,
        blocked=bool(user_input.get("blocked", False)),
    )
