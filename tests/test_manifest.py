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
    strings = _load(INTEGRATION / "translations" / f"{language}.json")
    steps = {**strings["config"]["step"], **strings["options"]["step"]}
    for step_id in ("user", "reconfigure", "init"):
        step = steps[step_id]
        assert step["title"]
        assert set(step["data"]) == set(step["data_description"])


def test_quality_scale_file() -> None:
    """quality_scale.yaml exists and rates every rule with done, todo or exempt."""
    text = (INTEGRATION / "quality_scale.yaml").read_text(encoding="utf-8")
    statuses = re.findall(r"^\s{2}[\w-]+:\s*(\w+)?", text, flags=re.MULTILINE)
    assert statuses
    for status in re.findall(r"status:\s*(\w+)", text):
        assert status in {"done", "todo", "exempt"}
