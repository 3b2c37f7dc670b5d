"""What hassfest and HACS would check, for machines where they cannot run."""

from __future__ import annotations

import json
from pathlib import Path
import re
from typing import Any

import pytest

from custom_components.ocpp_central import binary_sensor, sensor
from custom_components.ocpp_central.const import DOMAIN

ROOT = Path(__file__).parent.parent
INTEGRATION = ROOT / "custom_components" / DOMAIN
LANGUAGES = ("en", "sv", "de")


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def test_manifest() -> None:
    """Keys as hassfest wants them: domain, name, then sorted; pinned requirements."""
    manifest = _load(INTEGRATION / "manifest.json")
    keys = list(manifest)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])
    assert manifest["domain"] == DOMAIN
    assert manifest["config_flow"] is True
    assert manifest["iot_class"] == "local_push"
    assert manifest["integration_type"] == "hub"
    assert re.fullmatch(r"\d+\.\d+\.\d+", manifest["version"])
    assert "ocpp" in manifest["loggers"]
    pinned = {line.split("==")[0]: line for line in manifest["requirements"]}
    assert set(pinned) == {"ocpp", "websockets"}
    assert all("==" in requirement for requirement in manifest["requirements"])
    requirements = (ROOT / "requirements.txt").read_text(encoding="utf-8")
    for requirement in manifest["requirements"]:
        assert requirement in requirements


def test_hacs() -> None:
    """hacs.json names the integration and a minimum HA version."""
    hacs = _load(ROOT / "hacs.json")
    assert hacs["name"]
    assert "homeassistant" in hacs


def _placeholders(text: str) -> set[str]:
    return set(re.findall(r"{(\w+)}", text))


def _flatten(tree: Any, prefix: str = "") -> dict[str, str]:
    if isinstance(tree, str):
        return {prefix: tree}
    flat: dict[str, str] = {}
    for key, value in tree.items():
        flat.update(_flatten(value, f"{prefix}.{key}" if prefix else key))
    return flat


def test_translations_complete_and_consistent() -> None:
    """Every language has exactly the English keys, the same placeholders, no empty text."""
    english = _flatten(_load(INTEGRATION / "translations" / "en.json"))
    assert not (INTEGRATION / "strings.json").exists()
    for language in LANGUAGES[1:]:
        other = _flatten(_load(INTEGRATION / "translations" / f"{language}.json"))
        assert set(other) == set(english), language
        for key, text in other.items():
            assert text.strip(), f"{language}: {key} is empty"
            assert _placeholders(text) == _placeholders(english[key]), f"{language}: {key}"


def test_entities_are_translated() -> None:
    """Every translation key and enum option of our entities has a name/state in English."""
    english = _load(INTEGRATION / "translations" / "en.json")["entity"]
    for platform, descriptions in (
        ("sensor", sensor.SENSORS),
        ("binary_sensor", binary_sensor.BINARY_SENSORS),
    ):
        for description in descriptions:
            if description.translation_key is None:
                assert description.device_class is not None, description.key
                continue
            entry = english[platform][description.translation_key]
            assert entry["name"]
            for option in getattr(description, "options", None) or ():
                assert option in entry["state"], (description.key, option)


def test_icons_shape() -> None:
    """icons.json refers only to translation keys that exist, with mdi icons."""
    icons = _load(INTEGRATION / "icons.json")
    english = _load(INTEGRATION / "translations" / "en.json")["entity"]
    for platform, entries in icons["entity"].items():
        for key, icon in entries.items():
            assert key in english[platform], (platform, key)
            assert icon["default"].startswith("mdi:")
            for state_icon in icon.get("state", {}).values():
                assert state_icon.startswith("mdi:")


@pytest.mark.parametrize("language", LANGUAGES)
def test_config_flow_steps_translated(language: str) -> None:
    """Every field of every form is named and described."""
    from custom_components.ocpp_central.config_flow import OPTION_SECTIONS, SERVER_SCHEMA

    strings = _load(INTEGRATION / "translations" / f"{language}.json")
    for step_id in ("user", "reconfigure"):
        step = strings["config"]["step"][step_id]
        assert step["title"]
        fields = {str(key) for key in SERVER_SCHEMA.schema}
        assert set(step["data"]) == set(step["data_description"]) == fields
    # The discovery card: its button says what it does, and its area field is explained.
    accept = strings["config"]["step"]["accept_charger"]
    assert accept["submit"]
    assert set(accept["data"]) == set(accept["data_description"]) == {"area", "protect"}
    # The options open on a menu: charger settings, or the RFID cards.
    assert set(strings["options"]["step"]["init"]["menu_options"]) == {
        "settings",
        "tags",
        "security",
        "ocpi",
    }
    ocpi = strings["options"]["step"]["ocpi"]
    assert (
        set(ocpi["data"])
        == set(ocpi["data_description"])
        == {
            "ocpi_enabled",
            "ocpi_party_id",
            "new_token",
        }
    )
    # The security wizard: every step titled, its menu, progress and outcomes worded.
    steps = strings["options"]["step"]
    for step_id in (
        "security",
        "charger_security",
        "password_given",
        "password_not_yet_used",
        "enter_password",
        "remove_password",
        "tls_done",
        "tls_not_yet",
        "certificate_done",
        "certificate_not_yet",
    ):
        assert steps[step_id]["title"]
        assert steps[step_id]["description"]
    assert set(steps["charger_security"]["menu_options"]) == {
        "give_password",
        "enter_password",
        "use_tls",
        "use_certificate",
        "remove_password",
    }
    assert set(strings["options"]["progress"]) == {"give_password", "use_tls", "use_certificate"}
    # HA's frontend fills placeholders into a menu's description, not into its title.
    for menu in ("init", "tags", "charger_security"):
        assert "{" not in steps[menu]["title"]
    assert {
        "password_refused",
        "profile_refused",
        "certificate_not_requested",
        "charger_not_reachable",
        "no_chargers",
    } <= set(strings["options"]["abort"])
    options = strings["options"]["step"]["settings"]
    assert options["title"]
    # The options form is in sections: each is named, and each of its fields too.
    assert set(options["sections"]) == set(OPTION_SECTIONS)
    for name, (_collapsed, schema) in OPTION_SECTIONS.items():
        translated = options["sections"][name]
        assert translated["name"]
        assert translated["description"]
        fields = {str(key) for key in schema.schema}
        assert set(translated["data"]) == set(translated["data_description"]) == fields


def test_quality_scale_file() -> None:
    """quality_scale.yaml exists and rates every rule with done, todo or exempt."""
    text = (INTEGRATION / "quality_scale.yaml").read_text(encoding="utf-8")
    statuses = re.findall(r"^\s{2}[\w-]+:\s*(\w+)?", text, flags=re.MULTILINE)
    assert statuses
    for status in re.findall(r"status:\s*(\w+)", text):
        assert status in {"done", "todo", "exempt"}


# The tests that prove each rule quality_scale.yaml marks done. A rule maps only to tests
# that exercise what it asks for; a done rule without one is a claim nothing checks.
QUALITY_SCALE_PROOF: dict[str, list[str]] = {
    # Bronze
    "action-setup": [
        # Actions stay registered when the entry is unloaded and answer with a clear error.
        "tests/test_services.py::test_offline_charger",
        "tests/test_services.py::test_actions_registered_as_described",
    ],
    "config-flow": [
        "tests/test_config_flow.py::test_user_flow_creates_entry",
        "tests/test_manifest.py::test_config_flow_steps_translated",
    ],
    "config-flow-test-coverage": [
        "tests/test_config_flow.py::test_user_flow_creates_entry",
        "tests/test_config_flow.py::test_user_flow_port_in_use_then_recovers",
        "tests/test_config_flow.py::test_user_flow_cannot_bind",
        "tests/test_config_flow.py::test_user_flow_already_configured",
        "tests/test_config_flow.py::test_reconfigure_moves_the_server",
        "tests/test_config_flow.py::test_reconfigure_to_busy_port",
        "tests/test_config_flow.py::test_options_flow",
        "tests/test_config_flow.py::test_discovery_card_accepts_absent_charger",
        "tests/test_config_flow.py::test_discovery_card_for_unloaded_central",
        "tests/test_config_flow.py::test_ignored_charger_is_not_offered_again",
    ],
    "entity-unique-id": [
        # The registry snapshots hold every entity's unique id.
        "tests/test_sensor.py::test_sensors",
        "tests/test_binary_sensor.py::test_binary_sensors",
    ],
    "has-entity-name": [
        "tests/test_sensor.py::test_sensors",
        "tests/test_binary_sensor.py::test_binary_sensors",
    ],
    "runtime-data": [
        # Diagnostics read the central system from entry.runtime_data.
        "tests/test_diagnostics.py::test_diagnostics",
        "tests/test_charger.py::test_heartbeat_recorded",
    ],
    "test-before-configure": [
        "tests/test_config_flow.py::test_user_flow_port_in_use_then_recovers",
        "tests/test_config_flow.py::test_user_flow_cannot_bind",
        "tests/test_config_flow.py::test_reconfigure_to_busy_port",
    ],
    "test-before-setup": ["tests/test_init.py::test_port_in_use_retries_setup"],
    "unique-config-entry": ["tests/test_config_flow.py::test_user_flow_already_configured"],
    # Silver
    "action-exceptions": [
        "tests/test_services.py::test_refusal_callerror_timeout_and_lost_connection",
        "tests/test_services.py::test_invalid_input",
        "tests/test_services.py::test_offline_charger",
        "tests/test_control.py::test_rejected_limit_is_reported",
    ],
    "config-entry-unloading": ["tests/test_init.py::test_unload_releases_port_and_connections"],
    "entity-unavailable": [
        "tests/test_charger.py::test_boot_creates_device_and_entities",
        "tests/test_control.py::test_commands_on_offline_charger",
    ],
    # Gold
    "devices": [
        "tests/test_charger.py::test_boot_creates_device_and_entities",
        "tests/test_charger.py::test_multi_connector_charger_gets_child_devices",
        "tests/test_charger.py::test_new_firmware_updates_device",
    ],
    "diagnostics": [
        "tests/test_diagnostics.py::test_diagnostics",
        "tests/test_diagnostics.py::test_sim_identifiers_are_redacted",
    ],
    "discovery": [
        "tests/test_charger.py::test_pending_charger_accepted_from_discovery",
        "tests/test_config_flow.py::test_discovery_card_accepts_absent_charger",
        "tests/test_config_flow.py::test_ignored_charger_is_not_offered_again",
    ],
    "dynamic-devices": [
        "tests/test_charger.py::test_boot_creates_device_and_entities",
        "tests/test_charger.py::test_multi_connector_charger_gets_child_devices",
    ],
    "entity-category": [
        "tests/test_sensor.py::test_sensors",
        "tests/test_binary_sensor.py::test_binary_sensors",
    ],
    "entity-device-class": [
        "tests/test_sensor.py::test_sensors",
        "tests/test_binary_sensor.py::test_binary_sensors",
    ],
    "entity-translations": [
        "tests/test_manifest.py::test_entities_are_translated",
        "tests/test_manifest.py::test_translations_complete_and_consistent",
    ],
    "exception-translations": [
        "tests/test_services.py::test_action_errors_translated",
        "tests/test_control.py::test_rejected_limit_is_reported",
        "tests/test_control.py::test_charging_switch_explains_finishing",
    ],
    "icon-translations": [
        "tests/test_manifest.py::test_icons_shape",
        "tests/test_services.py::test_action_icons",
    ],
    "reconfiguration-flow": [
        "tests/test_config_flow.py::test_reconfigure_moves_the_server",
        "tests/test_config_flow.py::test_reconfigure_to_busy_port",
    ],
    "repair-issues": [
        "tests/test_init.py::test_port_in_use_retries_setup",
        "tests/test_desired_state.py::test_refused_limit_is_retried_and_raises_a_repair",
        "tests/test_hostile_input.py::test_unsaveable_charger_keeps_last_good_record_and_raises_repair",
    ],
    "stale-devices": ["tests/test_charger.py::test_removed_device_is_forgotten"],
    # Repository-level rules (tests/test_quality_proofs.py).
    "async-dependency": ["tests/test_quality_proofs.py::test_dependencies_are_asyncio_native"],
    "brands": ["tests/test_quality_proofs.py::test_brand_icons"],
    "common-modules": ["tests/test_quality_proofs.py::test_platforms_share_the_base_entity"],
    "dependency-transparency": [
        "tests/test_quality_proofs.py::test_dependencies_are_pinned_and_transparent"
    ],
    "docs-actions": [
        "tests/test_quality_proofs.py::test_readme_has_the_section",
        "tests/test_quality_proofs.py::test_readme_documents_every_action",
    ],
    "docs-configuration-parameters": [
        "tests/test_quality_proofs.py::test_readme_documents_every_option_and_server_field"
    ],
    "docs-data-update": ["tests/test_quality_proofs.py::test_readme_says_how_data_updates"],
    "docs-examples": ["tests/test_quality_proofs.py::test_readme_examples_are_valid_automations"],
    "docs-high-level-description": ["tests/test_quality_proofs.py::test_readme_has_the_section"],
    "docs-installation-instructions": ["tests/test_quality_proofs.py::test_readme_has_the_section"],
    "docs-installation-parameters": [
        "tests/test_quality_proofs.py::test_readme_documents_every_option_and_server_field"
    ],
    "docs-known-limitations": ["tests/test_quality_proofs.py::test_readme_has_the_section"],
    "docs-removal-instructions": ["tests/test_quality_proofs.py::test_readme_has_the_section"],
    "docs-supported-devices": ["tests/test_quality_proofs.py::test_readme_has_the_section"],
    "docs-supported-functions": [
        "tests/test_quality_proofs.py::test_readme_documents_every_entity"
    ],
    "docs-troubleshooting": ["tests/test_quality_proofs.py::test_readme_has_the_section"],
    "docs-use-cases": ["tests/test_quality_proofs.py::test_readme_has_the_section"],
    "entity-disabled-by-default": [
        "tests/test_quality_proofs.py::test_noisy_entities_are_disabled_by_default"
    ],
    "entity-event-setup": ["tests/test_quality_proofs.py::test_entities_release_their_listeners"],
    "integration-owner": ["tests/test_quality_proofs.py::test_integration_has_owners"],
    "log-when-unavailable": ["tests/test_quality_proofs.py::test_unavailability_is_logged_once"],
    "parallel-updates": ["tests/test_quality_proofs.py::test_platforms_declare_parallel_updates"],
    "strict-typing": ["tests/test_quality_proofs.py::test_typing_is_strict"],
    "test-coverage": ["tests/test_quality_proofs.py::test_coverage_is_enforced"],
}


def _rule_statuses() -> dict[str, str]:
    """Rule -> status of quality_scale.yaml (`rule: status` or a `status:` line below it)."""
    statuses: dict[str, str] = {}
    rule: str | None = None
    text = (INTEGRATION / "quality_scale.yaml").read_text(encoding="utf-8")
    for line in text.splitlines():
        if match := re.fullmatch(r"  ([\w-]+):\s*(\w+)?\s*", line):
            rule = match.group(1)
            if match.group(2):
                statuses[rule] = match.group(2)
        elif rule and (match := re.fullmatch(r"    status:\s*(\w+)\s*", line)):
            statuses[rule] = match.group(1)
    return statuses


def _test_names(path: Path) -> set[str]:
    """The test functions a test file defines (sync or async, at any indentation)."""
    text = path.read_text(encoding="utf-8")
    return set(re.findall(r"^\s*(?:async\s+)?def\s+(test_\w+)\s*\(", text, flags=re.MULTILINE))


def test_quality_scale_done_rules_are_proven() -> None:
    """Every rule marked done names the tests that prove it, and those tests exist."""
    statuses = _rule_statuses()
    assert len(statuses) > 40  # the parser read the file
    done = {rule for rule, status in statuses.items() if status == "done"}
    assert set(QUALITY_SCALE_PROOF) <= done, "proof listed for a rule not marked done"
    for rule, tests in QUALITY_SCALE_PROOF.items():
        assert tests, rule
        for test in tests:
            file, _, name = test.partition("::")
            path = ROOT / file
            assert path.is_file(), (rule, test)
            assert name in _test_names(path), (rule, test)
    unproven = sorted(done - set(QUALITY_SCALE_PROOF))
    assert not unproven, f"done without a test that proves it: {', '.join(unproven)}"


_SLUG = re.compile(r"^[a-z0-9_-]+$")
_MARKUP = re.compile(r"<[^>]*>")


def _keys_and_strings(data: Any, path: str = "") -> list[tuple[str, str | None]]:
    """Every (key path, string value) of a nested translation document."""
    found: list[tuple[str, str | None]] = []
    if isinstance(data, dict):
        for key, value in data.items():
            found.append((f"{path}/{key}", None))
            found.extend(_keys_and_strings(value, f"{path}/{key}"))
    elif isinstance(data, str):
        found.append((path, data))
    return found


def test_hassfest_rules_for_translations_and_services() -> None:
    """The rules hassfest applies to our files (hassfest itself is not installable here).

    Keys in services.yaml and in the translations are slugs ([a-z0-9-_]); translated strings
    carry no markup (hassfest takes "<...>" for HTML); services.yaml has no YAML anchors as
    keys.
    """
    services_text = (INTEGRATION / "services.yaml").read_text(encoding="utf-8")
    keys = re.findall(r"^\s*([^\s#:][^:]*):", services_text, flags=re.MULTILINE)
    for key in keys:
        if key.startswith("- "):
            continue
        assert _SLUG.match(key), f"services.yaml key {key!r} is not a slug"
    assert "&" not in services_text
    assert "*" not in services_text
    for language in ("en", "sv", "de"):
        document = json.loads((INTEGRATION / "translations" / f"{language}.json").read_text())
        for path, value in _keys_and_strings(document):
            key = path.rsplit("/", 1)[-1]
            assert _SLUG.match(key), f"{language}: key {path} is not a slug"
            if value is not None:
                assert not _MARKUP.search(value), f"{language}: markup in {path}: {value!r}"
