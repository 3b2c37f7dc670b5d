"""Proofs for quality-scale rules that are about the repository rather than a charger.

Each test here is named in tests/test_manifest.py's QUALITY_SCALE_PROOF for the rule it proves.
"""

from __future__ import annotations

import ast
import inspect
import json
from pathlib import Path
import re
import tomllib
from typing import Any

from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ocpp_central.const import DOMAIN

ROOT = Path(__file__).parent.parent
INTEGRATION = ROOT / "custom_components" / DOMAIN
README = (ROOT / "README.md").read_text(encoding="utf-8")
PLATFORMS = ("binary_sensor", "button", "number", "select", "sensor", "switch")


def _english() -> dict[str, Any]:
    return dict(json.loads((INTEGRATION / "translations" / "en.json").read_text()))


@pytest.mark.parametrize(
    ("rule", "headings"),
    [
        ("docs-high-level-description", ["# OCPP Central for Home Assistant"]),
        ("docs-installation-instructions", ["## Installation", "### HACS (recommended)"]),
        ("docs-removal-instructions", ["### Removal"]),
        ("docs-installation-parameters", ["## Setting up"]),
        ("docs-configuration-parameters", ["## Options"]),
        ("docs-data-update", ["## Entities"]),
        ("docs-known-limitations", ["## Known limitations"]),
        ("docs-supported-devices", ["## Supported devices"]),
        ("docs-supported-functions", ["## Entities", "### Actions", "### Events"]),
        ("docs-troubleshooting", ["## Troubleshooting"]),
        ("docs-use-cases", ["## Use cases"]),
        ("docs-actions", ["### Actions"]),
    ],
)
def test_readme_has_the_section(rule: str, headings: list[str]) -> None:
    """The README has the section the documentation rule asks for."""
    lines = README.splitlines()
    for heading in headings:
        assert heading in lines, f"{rule}: README lacks {heading!r}"


def test_readme_documents_every_action() -> None:
    """docs-actions: every action of services.yaml is in the README's action table."""
    services = re.findall(r"^([a-z_]+):\s*$", (INTEGRATION / "services.yaml").read_text(), re.M)
    assert services
    for service in services:
        assert service in README, f"action {service} is not documented"


def test_readme_documents_every_option_and_server_field() -> None:
    """docs-configuration-parameters / docs-installation-parameters: every field's label."""
    english = _english()
    sections = english["options"]["step"]["settings"]["sections"]
    options = [label for group in sections.values() for label in group["data"].values()]
    server = english["config"]["step"]["user"]["data"]
    for group in sections.values():
        assert group["name"] in README, f"options section {group['name']!r} is not documented"
    for label in (*options, *server.values()):
        # Labels may be grouped in one row ("Solar start delay / stop delay").
        first_words = " ".join(label.split()[:2])
        assert first_words in README, f"option {label!r} is not documented"


def test_readme_documents_every_entity() -> None:
    """docs-supported-functions: every translated entity name appears in the README."""
    for platform, entities in _english()["entity"].items():
        for key, entity in entities.items():
            # Placeholders ({phase}, {card}) are filled in at runtime.
            name = re.sub(r"\s*\{\w+\}\s*", " ", entity["name"]).strip()
            assert name.lower() in README.lower(), f"{platform}.{key} {name!r} not documented"


def test_readme_says_how_data_updates() -> None:
    """docs-data-update: state is pushed by the chargers, written only when it changed."""
    assert "Entities only write a new state when" in README
    assert "Meter value interval" in README


def test_brand_icons() -> None:
    """brands: the integration ships its icon (PNG, 256 and 512 px)."""
    for name, size in (("icon.png", 256), ("icon@2x.png", 512)):
        data = (INTEGRATION / "brand" / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        width = int.from_bytes(data[16:20], "big")
        assert width == size, name


def test_platforms_share_the_base_entity() -> None:
    """common-modules: every platform builds on the one base entity in entity.py."""
    for platform in PLATFORMS:
        source = (INTEGRATION / f"{platform}.py").read_text()
        assert "from .entity import" in source
        assert "OcppEntity" in source


def test_platforms_declare_parallel_updates() -> None:
    """parallel-updates: 0 for read-only platforms, 1 for those sending commands."""
    expected = {"binary_sensor": 0, "sensor": 0, "button": 1, "number": 1, "select": 1}
    expected["switch"] = 1
    for platform, value in expected.items():
        tree = ast.parse((INTEGRATION / f"{platform}.py").read_text())
        found = [
            node.value.value
            for node in tree.body
            if isinstance(node, ast.Assign)
            and any(getattr(t, "id", None) == "PARALLEL_UPDATES" for t in node.targets)
            and isinstance(node.value, ast.Constant)
        ]
        assert found == [value], platform


def test_dependencies_are_pinned_and_transparent() -> None:
    """dependency-transparency: the manifest's requirements are the pinned runtime ones."""
    manifest = json.loads((INTEGRATION / "manifest.json").read_text())
    pins = [
        line.strip()
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert sorted(manifest["requirements"]) == sorted(pins)
    assert all("==" in requirement for requirement in manifest["requirements"])


def test_dependencies_are_asyncio_native() -> None:
    """async-dependency: the websocket server and the OCPP library run on asyncio."""
    from ocpp.charge_point import ChargePoint
    from websockets.asyncio.server import serve

    assert inspect.iscoroutinefunction(ChargePoint.call)
    assert inspect.iscoroutinefunction(ChargePoint.start)
    assert "asyncio" in serve.__module__


def test_integration_has_owners() -> None:
    """integration-owner: the manifest names code owners."""
    manifest = json.loads((INTEGRATION / "manifest.json").read_text())
    assert manifest["codeowners"]
    assert all(owner.startswith("@") for owner in manifest["codeowners"])


def test_typing_is_strict() -> None:
    """strict-typing: mypy runs in strict mode over the integration (scripts/test, CI)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert config["tool"]["mypy"]["strict"] is True
    assert re.search(r"mypy\S*\s+custom_components", (ROOT / "scripts" / "test").read_text())


def test_coverage_is_enforced() -> None:
    """test-coverage: the suite fails below 95 % coverage."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert config["tool"]["coverage"]["report"]["fail_under"] >= 95
    assert "--cov" in (ROOT / "scripts" / "test").read_text()


async def test_noisy_entities_are_disabled_by_default(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any
) -> None:
    """entity-disabled-by-default: the last-heartbeat sensor starts disabled."""
    sim = await make_simulator("CP1")
    await sim.boot()
    await hass.async_block_till_done()
    registry = er.async_get(hass)
    entry_id = registry.async_get_entity_id("sensor", DOMAIN, "CP1_last_heartbeat")
    assert entry_id is not None
    entry = registry.async_get(entry_id)
    assert entry is not None
    assert entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION


async def test_phase_details_are_disabled_by_default(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any
) -> None:
    """entity-disabled-by-default: per-phase currents and the voltage start disabled.

    They are diagnostic detail (Power tells the everyday story) and each would cost every
    meter frame a state write.
    """
    sim = await make_simulator("CP1")
    await sim.boot()
    await sim.status(1, "Charging")
    await sim.meter_values(1)
    await hass.async_block_till_done()
    registry = er.async_get(hass)

    def registry_entry(unique_id: str) -> er.RegistryEntry:
        entity_id = registry.async_get_entity_id("sensor", DOMAIN, unique_id)
        assert entity_id is not None, unique_id
        entry = registry.async_get(entity_id)
        assert entry is not None
        return entry

    for key in ("current_l1", "current_l2", "current_l3", "voltage"):
        entry = registry_entry(f"CP1_1_{key}")
        assert entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION
        assert entry.entity_category is EntityCategory.DIAGNOSTIC
    assert registry_entry("CP1_1_power").disabled_by is None


async def test_entities_release_their_listeners(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any
) -> None:
    """entity-event-setup: entities subscribe when added and unsubscribe when removed."""
    sim = await make_simulator("CP1")
    await sim.boot()
    await hass.async_block_till_done()
    charger = central.runtime_data.chargers["CP1"]
    assert any(charger._listeners.values())
    assert await hass.config_entries.async_unload(central.entry_id)
    await hass.async_block_till_done()
    assert not any(charger._listeners.values())


async def test_unavailability_is_logged_once(
    hass: HomeAssistant,
    central: MockConfigEntry,
    make_simulator: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """log-when-unavailable: one line when a charger goes away, one when it is back."""
    sim = await make_simulator("CP1")
    await sim.boot()
    await sim.close()
    await hass.async_block_till_done()
    for _ in range(3):
        await hass.async_block_till_done()
    assert caplog.text.count("Charger CP1 disconnected") == 1
    await sim.connect()
    await sim.boot()
    await hass.async_block_till_done()
    assert caplog.text.count("Charger CP1 connected") == 2


def _readme_examples() -> list[dict[str, Any]]:
    """The YAML automations of the README's Examples section."""
    import yaml

    section = README.split("\n## Examples\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```yaml\n(.*?)```", section, flags=re.S)
    return [yaml.safe_load(block) for block in blocks]


async def test_readme_examples_are_valid_automations(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any
) -> None:
    """docs-examples: each example is an automation HA accepts, using what we really offer.

    Validated as the automation editor does, against a charger named like the demo's: its
    entity ids, our events and our actions exist.
    """
    from homeassistant.components.automation.config import async_validate_config_item
    from homeassistant.setup import async_setup_component

    from custom_components.ocpp_central.const import (
        EVENT_CHARGER_BOOTED,
        EVENT_SESSION_STARTED,
        EVENT_SESSION_STOPPED,
    )

    from .helpers import smart_charger

    assert await async_setup_component(hass, "automation", {})
    await smart_charger(hass, central, make_simulator, "DEMO-WALLBOX")
    hass.config_entries.async_update_entry(
        central, options={**central.options, "grid_power_sensor": "sensor.grid"}
    )
    await hass.async_block_till_done()
    examples = _readme_examples()
    assert len(examples) >= 4
    text = json.dumps(examples)
    ours = {EVENT_CHARGER_BOOTED, EVENT_SESSION_STARTED, EVENT_SESSION_STOPPED}
    for example in examples:
        assert await async_validate_config_item(hass, "automation", example) is not None
        for trigger in example["triggers"]:
            if trigger["trigger"] == "event":
                assert trigger["event_type"] in ours
    # Entity ids of the charger, as a fresh install names them.
    entity_ids = set(re.findall(r"\b(?:select|switch|number|sensor)\.demo_wallbox_\w+", text))
    assert entity_ids == {
        "select.demo_wallbox_charging_mode",
        "switch.demo_wallbox_charging_enabled",
    }
    for found in entity_ids:
        assert hass.states.get(found) is not None, found
    for action in set(re.findall(r"ocpp_central\.(\w+)", text)):
        assert hass.services.has_service(DOMAIN, action), action
