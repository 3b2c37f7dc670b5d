"""RFID cards managed in the options: who may charge, card events, and the policy."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.ocpp_central.const import EVENT_CARD

from .conftest import ALL_VERSIONS
from .helpers import smart_charger, state


def _status(result: Any) -> str:
    """The authorization status of an Authorize answer (1.6 and 2.x alike)."""
    return str(result.id_tag_info["status"])


async def _options(hass: HomeAssistant, central: MockConfigEntry, *steps: Any) -> Any:
    """Walk the options flow: menu choices (strings) and form inputs (dicts)."""
    result = await hass.config_entries.options.async_init(central.entry_id)
    for step in steps:
        data = {"next_step_id": step} if isinstance(step, str) else step
        result = await hass.config_entries.options.async_configure(result["flow_id"], data)
    return result


@ALL_VERSIONS
async def test_listed_cards_decide(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any, ocpp_version: str
) -> None:
    """Empty list: every card charges. Listed cards: known ones, unless blocked or expired."""
    events = async_capture_events(hass, EVENT_CARD)
    sim = await smart_charger(hass, central, make_simulator)
    assert _status(await sim.authorize("ANYCARD")) == "Accepted"
    assert events[-1].data["result"] == "accepted"

    result = await _options(
        hass,
        central,
        "tags",
        "add_tag",
        {"id_tag": "ALICE01", "name": "Alice", "person": "person.alice", "blocked": False},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    expired = (dt_util.utcnow() - timedelta(days=1)).isoformat()
    await _options(hass, central, "tags", "add_tag", {"id_tag": "OLD", "expiry": expired})
    await _options(hass, central, "tags", "add_tag", {"id_tag": "LOST", "blocked": True})
    await hass.async_block_till_done()

    # Card ids are compared without regard to case (OCPP IdToken).
    assert _status(await sim.authorize("alice01")) == "Accepted"
    assert events[-1].data["name"] == "Alice"
    assert events[-1].data["person"] == "person.alice"
    assert _status(await sim.authorize("OLD")) == "Expired"
    assert _status(await sim.authorize("LOST")) == "Blocked"
    # Once cards are listed, unknown ones are refused (the default policy).
    assert _status(await sim.authorize("STRANGER")) == "Invalid"
    card = state(hass, "event", "CP1_card")
    assert card.attributes["event_type"] == "invalid"
    assert card.attributes["id_tag"] == "STRANGER"


async def test_record_policy_and_editing(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any
) -> None:
    """Unknown cards accepted and remembered can be added by picking them; edit, remove."""
    sim = await smart_charger(hass, central, make_simulator)
    await _options(hass, central, "tags", "add_tag", {"id_tag": "ALICE01", "name": "Alice"})
    await _options(hass, central, "tags", "tag_policy", {"unknown_tags": "record"})
    await hass.async_block_till_done()
    assert _status(await sim.authorize("NEWCARD")) == "Accepted"

    form = await _options(hass, central, "tags", "add_tag")
    id_field = next(key for key in form["data_schema"].schema if str(key) == "id_tag")
    selector = form["data_schema"].schema[id_field]
    assert selector.config["options"] == ["NEWCARD"]

    # Block Alice's card, then remove it.
    await _options(
        hass,
        central,
        "tags",
        "edit_tag",
        {"id_tag": "ALICE01"},
        {"name": "Alice", "blocked": True, "remove": False},
    )
    await hass.async_block_till_done()
    assert _status(await sim.authorize("ALICE01")) == "Blocked"
    await _options(hass, central, "tags", "edit_tag", {"id_tag": "ALICE01"}, {"remove": True})
    await hass.async_block_till_done()
    assert central.options["tags"] == []
    # The policy is kept when the charger settings are saved.
    assert central.options["unknown_tags"] == "record"


async def test_duplicate_card_and_home_assistant_tag(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any
) -> None:
    """A card cannot be listed twice; Home Assistant's own tag always charges."""
    sim = await smart_charger(hass, central, make_simulator)
    await _options(hass, central, "tags", "add_tag", {"id_tag": "ALICE01"})
    result = await _options(hass, central, "tags", "add_tag", {"id_tag": "alice01"})
    assert result["errors"] == {"id_tag": "duplicate_tag"}
    await hass.async_block_till_done()
    assert _status(await sim.authorize("HomeAssistant")) == "Accepted"


async def test_charged_by_names_the_card(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any
) -> None:
    """The session's card shows by its name, follows a rename, else its raw id."""
    sim = await smart_charger(hass, central, make_simulator)
    await _options(hass, central, "tags", "add_tag", {"id_tag": "ALICE01", "name": "Alice"})
    await hass.async_block_till_done()
    await sim.start_transaction(1, "alice01")
    await hass.async_block_till_done()
    assert state(hass, "sensor", "CP1_1_charged_by").state == "Alice"
    await _options(hass, central, "tags", "edit_tag", {"id_tag": "ALICE01"}, {"name": "Alice B."})
    await hass.async_block_till_done()
    assert state(hass, "sensor", "CP1_1_charged_by").state == "Alice B."
    await _options(hass, central, "tags", "edit_tag", {"id_tag": "ALICE01"}, {"remove": True})
    await hass.async_block_till_done()
    assert state(hass, "sensor", "CP1_1_charged_by").state == "alice01"


async def test_card_events_stay_bounded(
    hass: HomeAssistant,
    central: MockConfigEntry,
    make_simulator: Any,
    monkeypatch: Any,
) -> None:
    """A charger inventing card ids cannot grow the card-event memory without bound."""
    from custom_components.ocpp_central import central as central_module

    monkeypatch.setattr(central_module, "MAX_CARD_EVENT_KEYS", 3)
    monkeypatch.setattr(central_module, "CARD_EVENT_INTERVAL", 0.0)
    sim = await smart_charger(hass, central, make_simulator)
    for index in range(10):
        await sim.authorize(f"CARD{index}")
    assert len(central.runtime_data._card_events) <= 4


@ALL_VERSIONS
async def test_cards_go_to_the_chargers_local_list(
    hass: HomeAssistant, central: MockConfigEntry, make_simulator: Any, ocpp_version: str
) -> None:
    """Listed cards are sent as the charger's local list; changes send a newer version."""
    from .helpers import wait_until

    sim = await smart_charger(hass, central, make_simulator)

    def local_list() -> dict[str, Any]:
        if ocpp_version == "1.6":
            return {tag: info["status"] for tag, info in sim.local_list.items()}
        state_ = sim.protocol_layer().state
        return {tag: info["status"] for tag, info in state_.local_list.items()}

    def version() -> int:
        if ocpp_version == "1.6":
            return int(sim.local_list_version)
        return int(sim.protocol_layer().state.local_list_version)

    # No card listed: the charger's own list is left alone.
    await hass.async_block_till_done()
    assert version() == 0
    await _options(hass, central, "tags", "add_tag", {"id_tag": "ALICE01", "name": "Alice"})
    await wait_until(hass, lambda: local_list() == {"ALICE01": "Accepted"})
    first = version()
    assert first >= 1
    await _options(hass, central, "tags", "edit_tag", {"id_tag": "ALICE01"}, {"blocked": True})
    await wait_until(hass, lambda: local_list() == {"ALICE01": "Blocked"})
    assert version() > first
    # Saving options that leave the cards as they are sends nothing new.
    before = version()
    await _options(hass, central, "tags", "tag_policy", {"unknown_tags": "reject"})
    await hass.async_block_till_done()
    assert version() == before
    # While the charger holds our list, only the changes go out (Differential).
    await _options(hass, central, "tags", "add_tag", {"id_tag": "BOB02", "name": "Bob"})
    await wait_until(hass, lambda: local_list() == {"ALICE01": "Blocked", "BOB02": "Accepted"})

    def last_list() -> tuple[str, list[str]]:
        sent = [payload for action, payload in sim.received if action == "SendLocalList"][-1]
        ids = [
            entry["idTag"] if ocpp_version == "1.6" else entry["idToken"]["idToken"]
            for entry in sent.get("localAuthorizationList") or []
        ]
        return sent["updateType"], ids

    assert last_list() == ("Differential", ["BOB02"])
    await _options(
        hass, central, "tags", "edit_tag", {"id_tag": "ALICE01"}, {"blocked": True, "remove": True}
    )
    await wait_until(hass, lambda: local_list() == {"BOB02": "Accepted"})
    # A removed card goes out without its authorization info.
    assert last_list() == ("Differential", ["ALICE01"])
    # A charger that lost its list (a reset) gets the whole list again.
    if ocpp_version == "1.6":
        sim.local_list.clear()
        sim.local_list_version = 0
    else:
        sim.protocol_layer().state.local_list.clear()
        sim.protocol_layer().state.local_list_version = 0
    await sim.drop_connection()
    await sim.reconnect()
    await wait_until(hass, lambda: local_list() == {"BOB02": "Accepted"})
    assert last_list() == ("Full", ["BOB02"])
