"""Run a local demo: a real Home Assistant with OCPP Central and a simulated charger.

Started by ``scripts/demo`` (which prepares ``.venv`` first); it must run on the repo's
``.venv`` interpreter. Steps:

1. Write ``demo_config/configuration.yaml`` (a small, offline-friendly set of integrations) and
   symlink ``custom_components/ocpp_central`` into ``demo_config/custom_components/``.
2. Start Home Assistant in a child process (``homeassistant.runner.run`` with ``skip_pip``;
   the ``hass`` CLI refuses Python 3.13.0), HTTP on 127.0.0.1 only.
3. Onboard through the real onboarding HTTP API (skipped when already done) and check that
   the demo user can log in.
4. Add OCPP Central through the config-flow REST API (skipped when an entry exists) and make
   sure its options accept unknown chargers.
5. Start the charger simulator (``python -m simulator``), which keeps reconnecting.

Ctrl-C or SIGTERM stop the simulator and Home Assistant; both children also get SIGTERM from
the kernel if this process dies, so nothing is left running. A restart from the UI (exit code
100) starts Home Assistant again.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Sequence
import contextlib
import ctypes
import gc
import json
import os
from pathlib import Path
import signal
import socket
import subprocess
import sys
import time
from types import FrameType
from typing import IO, Any, NoReturn
import urllib.error
import urllib.parse
import urllib.request

REPO = Path(__file__).resolve().parent.parent
CONFIG_DIR = REPO / "demo_config"
DOMAIN = "ocpp_central"
HASS_RESTART_EXIT_CODE = 100
CONFIG_MARKER = "# Managed by scripts/demo"

CONFIGURATION_YAML = f"""\
{CONFIG_MARKER}: rewritten on every start while this line is here. Delete the line to keep
# your own edits. default_config is not used: several of its integrations need packages that
# are not installed (Home Assistant runs with skip_pip) or need the internet.
homeassistant:

http:
  server_host: 127.0.0.1
  server_port: {{port}}

logger:
  default: info
  logs:
    custom_components.{DOMAIN}: debug

frontend:
config:
backup:
energy:
history:
logbook:
person:
search:
sun:
system_health:
my:
tag:

counter:
input_boolean:
input_button:
input_datetime:
input_number:
input_select:
input_text:
schedule:
timer:

automation: !include automations.yaml
script: !include scripts.yaml
scene: !include scenes.yaml
"""


class DemoError(Exception):
    """A step of the demo failed; the message says what and where to look."""


class Stop(BaseException):
    """Raised by the SIGINT/SIGTERM handler to unwind to the cleanup."""


def log(message: str) -> None:
    """Print a progress line."""
    print(f"[demo] {message}", flush=True)


# -------------------------------------------------------------------------------------------
# Child processes
# -------------------------------------------------------------------------------------------

_PR_SET_PDEATHSIG = 1


def _child_setup(parent_pid: int) -> None:
    """Run in the child before exec: die with the parent, even if it is SIGKILLed."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)


class Child:
    """A child process in its own session, with its output in a log file."""

    def __init__(self, name: str, cmd: Sequence[str], log_path: Path, cwd: Path) -> None:
        """Start the process."""
        self.name = name
        self.log_path = log_path
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
        env["PYTHONUNBUFFERED"] = "1"
        self._log: IO[bytes] = log_path.open("ab")
        parent = os.getpid()
        self.proc = subprocess.Popen(
            list(cmd),
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            # This process has no threads, so preexec_fn is safe; prctl needs it.
            preexec_fn=lambda: _child_setup(parent),  # noqa: PLW1509
        )

    def poll(self) -> int | None:
        """Return the exit code, or None while running."""
        return self.proc.poll()

    def stop(self, timeout: float, force: bool = False) -> None:
        """SIGTERM the process group, SIGKILL it after `timeout` seconds (or at once)."""
        if self.proc.poll() is None:
            self.signal_group(signal.SIGKILL if force else signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                log(f"{self.name} did not stop within {timeout:.0f} s; killing it")
                self.signal_group(signal.SIGKILL)
                self.proc.wait()
        # The session may hold grandchildren; they must not outlive the demo either.
        self.signal_group(signal.SIGKILL)
        self._log.close()

    def signal_group(self, sig: int) -> None:
        """Send a signal to the child's whole process group."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, sig)

    def tail(self, lines: int = 30) -> str:
        """Return the end of the log file."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


# -------------------------------------------------------------------------------------------
# HTTP
# -------------------------------------------------------------------------------------------


class Api:
    """Minimal JSON client for Home Assistant's HTTP API (stdlib only)."""

    def __init__(self, port: int) -> None:
        """Point at the local instance."""
        self.base = f"http://127.0.0.1:{port}"
        self.client_id = f"{self.base}/"
        self.redirect_uri = f"{self.base}/?auth_callback=1"
        self.token: str | None = None

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        form: dict[str, str] | None = None,
        auth: bool = True,
        timeout: float = 60,
    ) -> tuple[int, Any]:
        """Send a request; return (status, decoded JSON or text). HTTP errors are returned."""
        headers = {"Accept": "application/json"}
        data = None
        if json_body is not None:
            data = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        elif form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if auth and self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        req = urllib.request.Request(self.base + path, data, headers, method=method)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                status, raw = resp.status, resp.read()
        except urllib.error.HTTPError as err:
            status, raw = err.code, err.read()
        text = raw.decode(errors="replace")
        try:
            return status, json.loads(text)
        except ValueError:
            return status, text

    def call(self, method: str, path: str, *, expect: int = 200, **kwargs: Any) -> Any:
        """Send a request and fail unless the status is `expect`."""
        status, body = self.request(method, path, **kwargs)
        if status != expect:
            raise DemoError(f"{method} {path} answered HTTP {status}: {body}")
        return body

    def token_from_code(self, code: str) -> str:
        """Exchange an authorization code for an access token."""
        body = self.call(
            "POST",
            "/auth/token",
            form={"grant_type": "authorization_code", "code": code, "client_id": self.client_id},
            auth=False,
        )
        return str(body["access_token"])

    def login(self, username: str, password: str) -> str:
        """Log in through the login flow, like the frontend does; return an access token."""
        flow = self.call(
            "POST",
            "/auth/login_flow",
            json_body={
                "client_id": self.client_id,
                "handler": ["homeassistant", None],
                "redirect_uri": self.redirect_uri,
            },
            auth=False,
        )
        result = self.call(
            "POST",
            f"/auth/login_flow/{flow['flow_id']}",
            json_body={"username": username, "password": password, "client_id": self.client_id},
            auth=False,
        )
        if result.get("type") != "create_entry":
            raise DemoError(
                f"login as {username!r} failed ({result.get('errors') or result}); the "
                "demo_config was onboarded with other credentials: pass --username/--password "
                "or start over with --reset"
            )
        return self.token_from_code(result["result"])


def port_in_use(port: int) -> bool:
    """Return whether something listens on 127.0.0.1:port."""
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


# -------------------------------------------------------------------------------------------
# Steps
# -------------------------------------------------------------------------------------------


def prepare_config(port: int) -> None:
    """Write configuration.yaml (while managed) and link the integration in."""
    CONFIG_DIR.mkdir(exist_ok=True)
    preset_onboarding()
    config = CONFIG_DIR / "configuration.yaml"
    if not config.exists() or config.read_text().startswith(CONFIG_MARKER):
        config.write_text(CONFIGURATION_YAML.format(port=port))
    else:
        log(f"{config} has no '{CONFIG_MARKER}' line: using it as it is")
    for name in ("automations.yaml", "scripts.yaml", "scenes.yaml"):
        path = CONFIG_DIR / name
        if not path.exists():
            path.write_text("[]\n" if name != "scripts.yaml" else "{}\n")

    link = CONFIG_DIR / "custom_components" / DOMAIN
    link.parent.mkdir(exist_ok=True)
    target = Path("..", "..", "custom_components", DOMAIN)
    if link.is_symlink():
        if Path(os.readlink(link)) != target:
            link.unlink()
    elif link.exists():
        log(f"{link} is a real directory, not a link to the repo's integration: using it as is")
        return
    if not link.is_symlink():
        link.symlink_to(target, target_is_directory=True)
    if not (link / "manifest.json").is_file():
        raise DemoError(f"{REPO / 'custom_components' / DOMAIN / 'manifest.json'} is missing")


# The onboarding steps the demo marks done before Home Assistant first starts. Finishing
# core_config through the API starts the config flows of google_translate, met and
# radio_browser, which need the internet or packages a demo does not install: each failed
# with a traceback, and Google Translate showed a failed card. The demo sets the location
# and country itself instead (`configure_core`).
PRESET_ONBOARDING_STEPS = ("core_config", "analytics")
ONBOARDING_STORE = {
    "version": 4,
    "minor_version": 1,
    "key": "onboarding",
    "data": {"done": list(PRESET_ONBOARDING_STEPS)},
}


def preset_onboarding() -> None:
    """On a fresh demo_config, mark the steps that would start failing integrations done."""
    store = CONFIG_DIR / ".storage" / "onboarding"
    if store.exists() or (CONFIG_DIR / ".storage" / "auth").exists():
        return  # onboarded before (or being onboarded by hand): leave it as it is
    store.parent.mkdir(parents=True, exist_ok=True)
    store.write_text(json.dumps(ONBOARDING_STORE, indent=2))


def start_hass() -> Child:
    """Start Home Assistant on demo_config in a child process."""
    return Child(
        "Home Assistant",
        [sys.executable, str(Path(__file__).resolve()), "_run_hass", str(CONFIG_DIR)],
        CONFIG_DIR / "home-assistant.stdout.log",
        CONFIG_DIR,
    )


def wait_for_http(api: Api, hass: Child, timeout: float) -> None:
    """Wait until the frontend answers, failing early if Home Assistant exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (code := hass.poll()) is not None:
            raise DemoError(
                f"Home Assistant exited with code {code} while starting. Last output "
                f"({hass.log_path}):\n{hass.tail()}"
            )
        with contextlib.suppress(OSError):
            status, _ = api.request("GET", "/manifest.json", auth=False, timeout=5)
            if status == 200:
                return
        time.sleep(1)
    raise DemoError(
        f"Home Assistant did not answer on {api.base} within {timeout:.0f} s; see "
        f"{CONFIG_DIR / 'home-assistant.log'}"
    )


def onboard(api: Api, username: str, password: str) -> None:
    """Finish every onboarding step through the onboarding API, then log in."""
    status, steps = api.request("GET", "/api/onboarding", auth=False)
    if status == 404:  # the onboarding views are only registered while not onboarded
        done = {"user", "core_config", "analytics", "integration"}
    elif status == 200:
        done = {step["step"] for step in steps if step["done"]}
    else:
        raise DemoError(f"GET /api/onboarding answered HTTP {status}: {steps}")

    if "user" not in done:
        body = api.call(
            "POST",
            "/api/onboarding/users",
            json_body={
                "client_id": api.client_id,
                "name": "Demo",
                "username": username,
                "password": password,
                "language": "en",
            },
            auth=False,
        )
        api.token = api.token_from_code(body["auth_code"])
        log(f"onboarding: created the owner account {username!r}")
    else:
        api.token = api.login(username, password)

    if "core_config" not in done:
        api.call("POST", "/api/onboarding/core_config", json_body={})
    if "analytics" not in done:
        api.call("POST", "/api/onboarding/analytics", json_body={})
    if "integration" not in done:
        api.call(
            "POST",
            "/api/onboarding/integration",
            json_body={"client_id": api.client_id, "redirect_uri": api.redirect_uri},
        )
    if done >= {"user", "core_config", "analytics", "integration"}:
        log("onboarding: already done")
    else:
        log("onboarding: done")
    # Prove that the printed credentials work the way the login page uses them.
    api.token = api.login(username, password)
    log(f"login as {username!r} works")


def check_frontend_calls(api: Api) -> None:
    """Make the websocket calls the frontend needs before it leaves "Loading data".

    get_services fails when a base component cannot be imported (a missing requirement under
    skip_pip), and the UI then never finishes loading although every HTTP check passes.
    """
    # Imported here: websockets is a requirement of the integration, installed in .venv.
    from websockets.exceptions import WebSocketException  # noqa: PLC0415
    from websockets.sync.client import connect  # noqa: PLC0415

    url = api.base.replace("http://", "ws://") + "/api/websocket"
    try:
        _frontend_calls(connect(url, open_timeout=10, max_size=None), api)
    except (OSError, TimeoutError, WebSocketException) as err:
        raise DemoError(f"the websocket API at {url} failed: {err!r}") from err
    log("frontend websocket calls work")


def ws_call(api: Api, message: dict[str, Any]) -> Any:
    """Send one command on a fresh, authenticated websocket; return its result."""
    from websockets.exceptions import WebSocketException  # noqa: PLC0415
    from websockets.sync.client import connect  # noqa: PLC0415

    url = api.base.replace("http://", "ws://") + "/api/websocket"
    try:
        with connect(url, open_timeout=10, max_size=None) as ws:
            json.loads(ws.recv(10))
            ws.send(json.dumps({"type": "auth", "access_token": api.token}))
            if (reply := json.loads(ws.recv(10)))["type"] != "auth_ok":
                raise DemoError(f"websocket authentication failed: {reply}")
            ws.send(json.dumps({"id": 1, **message}))
            reply = json.loads(ws.recv(30))
    except (OSError, TimeoutError, WebSocketException) as err:
        raise DemoError(f"the websocket API at {url} failed: {err!r}") from err
    if not reply.get("success"):
        raise DemoError(f"{message['type']} failed: {reply.get('error')}")
    return reply.get("result")


def configure_core(api: Api, country: str, currency: str) -> None:
    """Set what onboarding's location step sets (no "country not configured" repair)."""
    config = ws_call(api, {"type": "get_config"})
    if config.get("country") == country and config.get("currency") == currency:
        return
    ws_call(
        api,
        {
            "type": "config/core/update",
            "country": country,
            "currency": currency,
            "unit_system": "metric",
            "location_name": "OCPP Central demo",
        },
    )
    log(f"location: country {country}, currency {currency}")


def _frontend_calls(ws: Any, api: Api) -> None:
    """Authenticate on `ws`, then make the calls; fail on the first error."""
    with ws:
        if json.loads(ws.recv(10))["type"] != "auth_required":
            raise DemoError("the websocket API did not ask for authentication")
        ws.send(json.dumps({"type": "auth", "access_token": api.token}))
        if (reply := json.loads(ws.recv(10)))["type"] != "auth_ok":
            raise DemoError(f"websocket authentication failed: {reply}")
        for msg_id, command in enumerate(("get_config", "get_states", "get_services"), 1):
            ws.send(json.dumps({"id": msg_id, "type": command}))
            reply = json.loads(ws.recv(30))
            if not reply.get("success"):
                raise DemoError(
                    f"the frontend's {command} call fails ({reply.get('error')}), so the UI "
                    f"would hang on 'Loading data'; see {CONFIG_DIR / 'home-assistant.log'} "
                    "(usually a package missing from requirements_demo.txt)"
                )


def _schema_values(schema: list[dict[str, Any]], overrides: dict[str, Any]) -> dict[str, Any]:
    """Fill a serialized data_schema: overrides, else current (suggested) values, else defaults."""
    values: dict[str, Any] = {}
    for field in schema:
        name = field["name"]
        if field.get("type") == "expandable":  # a section: its values are nested
            values[name] = _schema_values(field.get("schema", []), overrides.get(name, {}))
        elif name in overrides:
            values[name] = overrides[name]
        elif "suggested_value" in (field.get("description") or {}):
            values[name] = field["description"]["suggested_value"]
        elif "default" in field:
            values[name] = field["default"]
        elif field.get("required"):
            raise DemoError(f"form field {name!r} is required and has no default: {field}")
    return values


def run_flow(api: Api, path: str, result: dict[str, Any], overrides: dict[str, Any]) -> Any:
    """Submit the forms of a data entry flow until it creates an entry."""
    for _ in range(5):
        kind = result.get("type")
        if kind == "create_entry":
            return result
        if kind == "abort":
            raise DemoError(f"the flow aborted: {result.get('reason')}")
        if kind != "form":
            raise DemoError(f"the flow returned an unexpected {kind!r} step: {result}")
        if result.get("errors"):
            raise DemoError(f"the form {result.get('step_id')!r} reported {result['errors']}")
        data = _schema_values(result.get("data_schema") or [], overrides)
        result = api.call("POST", f"{path}/{result['flow_id']}", json_body=data)
    raise DemoError(f"the flow did not finish after 5 forms: {result}")


def entry_state(api: Api) -> list[dict[str, Any]]:
    """Return the OCPP Central config entries."""
    entries: list[dict[str, Any]] = api.call(
        "GET", f"/api/config/config_entries/entry?domain={DOMAIN}"
    )
    return entries


def set_up_integration(api: Api, ocpp_port: int, meter_interval: int) -> None:
    """Add OCPP Central through the config flow (once); readings as often as the charger's.

    New chargers are not accepted automatically: the demo charger gets a discovery card, as a
    real one would (see `accept_charger`).
    """
    entries = entry_state(api)
    if entries:
        entry_id = entries[0]["entry_id"]
        log(f"integration: entry {entries[0]['title']!r} already exists")
    else:
        status, result = api.request(
            "POST",
            "/api/config/config_entries/flow",
            json_body={"handler": DOMAIN, "show_advanced_options": False},
        )
        if status != 200:
            raise DemoError(
                f"Home Assistant cannot start the {DOMAIN} config flow (HTTP {status}: "
                f"{result}); see {CONFIG_DIR / 'home-assistant.log'}"
            )
        result = run_flow(
            api,
            "/api/config/config_entries/flow",
            result,
            {"host": "127.0.0.1", "port": ocpp_port},
        )
        entry_id = result["result"]["entry_id"]
        log(f"integration: created entry {result['result']['title']!r}")

    # Options: keep what is set (the form suggests current values), but ask for readings as
    # often as the simulator is told to send them, so that power does not look frozen (the
    # integration's default of 60 s would override the simulator's interval).
    result = api.call(
        "POST", "/api/config/config_entries/options/flow", json_body={"handler": entry_id}
    )
    if result.get("type") == "menu":  # charger settings or RFID cards
        result = api.call(
            "POST",
            f"/api/config/config_entries/options/flow/{result['flow_id']}",
            json_body={"next_step_id": "settings"},
        )
    current = _schema_values(result.get("data_schema") or [], {})
    if (
        current.get("metering", {}).get("meter_interval") == meter_interval
        and current.get("connection", {}).get("transfer_url") == api.base
        and current.get("costs", {}).get("price_per_kwh") is not None
    ):
        api.call("DELETE", f"/api/config/config_entries/options/flow/{result['flow_id']}")
    else:
        overrides = {
            "metering": {"meter_interval": meter_interval},
            # The simulator fetches firmware and uploads diagnostics here.
            "connection": {"transfer_url": api.base},
            # A price, so that sessions show what they cost.
            "costs": {"price_per_kwh": current.get("costs", {}).get("price_per_kwh") or 0.30},
        }
        run_flow(api, "/api/config/config_entries/options/flow", result, overrides)
        log(f"integration: meter readings every {meter_interval} s")

    deadline = time.monotonic() + 30
    entry: dict[str, Any] = {}
    state = ""
    while time.monotonic() < deadline:
        entry = next((e for e in entry_state(api) if e["entry_id"] == entry_id), {})
        state = entry.get("state", "missing")
        if state not in ("not_loaded", "setup_in_progress"):
            break
        time.sleep(1)
    if state != "loaded":
        log(
            f"WARNING: the entry is {state!r} ({entry.get('reason') or 'no reason given'}); "
            f"see {CONFIG_DIR / 'home-assistant.log'}"
        )
    else:
        log("integration: loaded")


def add_demo_card(api: Api, id_tag: str) -> None:
    """Name the simulator's card in the RFID cards list (once), so its month totals show."""
    entry_id = next((e["entry_id"] for e in entry_state(api)), None)
    if entry_id is None:
        return
    path = "/api/config/config_entries/options/flow"
    result = api.call("POST", path, json_body={"handler": entry_id})
    if result.get("type") != "menu":
        api.call("DELETE", f"{path}/{result['flow_id']}")
        return
    result = api.call("POST", f"{path}/{result['flow_id']}", json_body={"next_step_id": "tags"})
    if "edit_tag" in (result.get("menu_options") or []):
        # A card is listed already: the owner's list is left as it is.
        api.call("DELETE", f"{path}/{result['flow_id']}")
        return
    result = api.call("POST", f"{path}/{result['flow_id']}", json_body={"next_step_id": "add_tag"})
    result = api.call(
        "POST", f"{path}/{result['flow_id']}", json_body={"id_tag": id_tag, "name": "Demo car"}
    )
    if result.get("type") == "create_entry":
        log(f"integration: card {id_tag!r} listed as 'Demo car'")
    else:
        log(f"WARNING: the demo card was not added: {result}")


# A firmware file the demo offers to its charger, so the Firmware update entity can be tried.
DEMO_FIRMWARE_VERSION = "1.1.0"


def offer_demo_firmware(api: Api, charger_id: str) -> None:
    """Offer the simulator a newer firmware (once the charger is a device)."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from simulator.maintenance import firmware_image  # noqa: PLC0415

    folder = CONFIG_DIR / "firmware"
    folder.mkdir(exist_ok=True)
    name = f"{charger_id.lower()}-{DEMO_FIRMWARE_VERSION}.bin"
    (folder / name).write_bytes(firmware_image(DEMO_FIRMWARE_VERSION))
    devices = ws_call(api, {"type": "config/device_registry/list"})
    device = next((d for d in devices if [DOMAIN, charger_id] in d.get("identifiers", [])), None)
    if device is None:
        return
    status, body = api.request(
        "POST",
        f"/api/services/{DOMAIN}/offer_firmware",
        json_body={
            "device_id": device["id"],
            "version": DEMO_FIRMWARE_VERSION,
            "file": f"firmware/{name}",
            "release_notes": "Demo firmware: install it from the Firmware entity to watch an update.",
        },
    )
    if status == 200:
        log(f"firmware {DEMO_FIRMWARE_VERSION} offered to {charger_id!r} (Firmware entity)")
    else:
        log(f"WARNING: offering the demo firmware failed (HTTP {status}: {body})")


def discovery_cards(api: Api) -> list[dict[str, Any]]:
    """The open discovery cards of OCPP Central."""
    flows = ws_call(api, {"type": "config_entries/flow/progress"})
    return [flow for flow in flows if flow.get("handler") == DOMAIN]


def accept_charger(api: Api, charger_id: str, *, accept: bool, timeout: float = 60) -> None:
    """Wait for the demo charger's discovery card; accept it through the card with `accept`.

    A charger accepted on an earlier run connects without a card and simply charges.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = api.call("GET", "/api/states")
        if any(
            state["entity_id"].startswith("binary_sensor.")
            and state["entity_id"].endswith("_connectivity")
            and state["state"] == "on"
            and charger_id.lower().replace("-", "_") in state["entity_id"]
            for state in states
        ):
            log(f"charger {charger_id!r}: accepted on an earlier run, connected")
            offer_demo_firmware(api, charger_id)
            return
        card = next(
            (
                flow
                for flow in discovery_cards(api)
                if flow.get("context", {})
                .get("title_placeholders", {})
                .get("name", "")
                .startswith(charger_id)
            ),
            None,
        )
        if card is not None:
            if not accept:
                log(
                    f"charger {charger_id!r} waits for approval: open Settings -> Devices & "
                    "services, Discovered, and select Add, then Accept (or start the demo with "
                    "--accept)"
                )
                return
            api.call(
                "POST",
                f"/api/config/config_entries/flow/{card['flow_id']}",
                json_body={},
            )
            log(f"charger {charger_id!r}: discovery card accepted (--accept)")
            time.sleep(3)  # the device is created as the charger boots again
            offer_demo_firmware(api, charger_id)
            return
        time.sleep(1)
    log(f"WARNING: no discovery card for {charger_id!r} within {timeout:.0f} s")


def start_simulator(args: argparse.Namespace) -> Child | None:
    """Start the simulated charger, or explain why it cannot run."""
    if not (REPO / "simulator" / "__main__.py").is_file():
        log("WARNING: simulator/__main__.py does not exist yet: no simulated charger")
        return None
    cmd = [
        sys.executable,
        "-m",
        "simulator",
        f"ws://127.0.0.1:{args.ocpp_port}",
        "--id",
        args.charger_id,
        "--connectors",
        str(args.connectors),
        "--phases",
        str(args.phases),
        "--meter-interval",
        str(args.meter_interval),
        "--id-tag",
        args.id_tag,
        # Like a real charger, it keeps the password Home Assistant gives it across runs.
        "--state-file",
        str(CONFIG_DIR / "simulator_state.json"),
    ]
    sim = Child("simulator", cmd, CONFIG_DIR / "simulator.log", REPO)
    time.sleep(2)
    if (code := sim.poll()) is not None:
        log(f"WARNING: the simulator exited at once (code {code}):\n{sim.tail()}")
        sim.stop(1)
        return None
    return sim


# -------------------------------------------------------------------------------------------
# Main
# -------------------------------------------------------------------------------------------


# Set by the benchmarks: a file in which Home Assistant notes its full garbage collections.
GC_LOG_ENV = "OCPP_CENTRAL_GC_LOG"


def _note_full_collections(path: str) -> None:
    """Append "<monotonic end> <ms>" for each full (generation 2) collection to `path`.

    A full collection stops the event loop for as long as it walks the heap; the benchmarks
    line these up with the loop lag they measure. Line-buffered: they are rare.
    """
    out = open(path, "a", buffering=1)  # noqa: SIM115 - open for the life of the process
    started = 0.0

    def note(phase: str, info: dict[str, int]) -> None:
        nonlocal started
        if info["generation"] != 2:
            return
        if phase == "start":
            started = time.perf_counter()
        else:
            out.write(f"{time.monotonic():.3f} {(time.perf_counter() - started) * 1000:.1f}\n")

    gc.callbacks.append(note)


def run_hass(config_dir: str) -> int:
    """Child process: run Home Assistant the way `hass` does, minus its Python check."""
    # Imported here so the orchestrator does not pay for importing Home Assistant.
    from homeassistant import runner  # noqa: PLC0415
    from homeassistant.__main__ import ensure_config_path  # noqa: PLC0415

    if gc_log := os.environ.get(GC_LOG_ENV):
        _note_full_collections(gc_log)
    ensure_config_path(config_dir)
    with runner.ensure_single_execution(config_dir) as lock:
        if lock.exit_code is not None:
            return lock.exit_code
        return runner.run(
            runner.RuntimeConfig(config_dir=config_dir, skip_pip=True, log_no_color=True)
        )


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        prog="scripts/demo",
        description="Home Assistant + OCPP Central + a simulated charger, on 127.0.0.1.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--port", type=int, default=8123, help="Home Assistant HTTP port")
    parser.add_argument("--ocpp-port", type=int, default=9000, help="OCPP websocket port")
    parser.add_argument("--username", default="demo")
    parser.add_argument("--password", default="demo1234")
    parser.add_argument("--charger-id", default="DEMO-WALLBOX")
    parser.add_argument("--connectors", type=int, default=1)
    parser.add_argument("--phases", type=int, default=3)
    parser.add_argument("--meter-interval", type=int, default=10)
    parser.add_argument("--id-tag", default="DEMO-TAG")
    parser.add_argument("--no-simulator", action="store_true", help="do not start a charger")
    parser.add_argument(
        "--accept",
        action="store_true",
        help="accept the demo charger's discovery card (by default you accept it in the UI)",
    )
    parser.add_argument("--country", default="DE", help="the country onboarding sets")
    parser.add_argument("--currency", default="EUR", help="the currency onboarding sets")
    parser.add_argument(
        "--startup-timeout", type=float, default=300, help="seconds to wait for the UI"
    )
    parser.add_argument(
        "--reset", action="store_true", help="delete demo_config/ first (a fresh install)"
    )
    parser.add_argument(
        "--setup-only",
        action="store_true",
        help="stop everything once the demo is set up (a smoke test)",
    )
    return parser.parse_args(argv)


def _raise_stop(signum: int, _frame: FrameType | None) -> NoReturn:
    raise Stop(signum)


@contextlib.contextmanager
def stop_signals() -> Iterator[None]:
    """Turn SIGINT and SIGTERM into Stop for the duration of the block."""
    previous = {sig: signal.signal(sig, _raise_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def supervise(children: list[Child]) -> int:
    """Watch the children until Home Assistant exits for good; return its exit code.

    children[0] is Home Assistant; it is replaced in the list when it restarts.
    """
    sim_running = len(children) > 1
    while True:
        time.sleep(0.5)
        if sim_running and (code := children[1].poll()) is not None:
            log(f"WARNING: the simulator exited with code {code}:\n{children[1].tail()}")
            sim_running = False
        if (code := children[0].poll()) is None:
            continue
        if code != HASS_RESTART_EXIT_CODE:
            log(f"Home Assistant exited with code {code}; see {CONFIG_DIR / 'home-assistant.log'}")
            return code
        log("Home Assistant asked for a restart: starting it again")
        children[0].stop(1)
        children[0] = start_hass()


def print_banner(api: Api, args: argparse.Namespace) -> None:
    """Print where the demo is and how to log in."""
    print(
        "\n"
        f"  Home Assistant:  {api.base}\n"
        f"  Login:           {args.username} / {args.password}\n"
        f"  OCPP endpoint:   ws://127.0.0.1:{args.ocpp_port}/<charge point id>\n"
        f"  Logs:            {CONFIG_DIR / 'home-assistant.log'}\n"
        f"                   {CONFIG_DIR / 'simulator.log'}\n"
        + ("" if args.setup_only else "  Stop with Ctrl-C.\n"),
        flush=True,
    )


def stop_children(children: list[Child]) -> None:
    """Stop the simulator, then Home Assistant; a second Ctrl-C kills at once."""
    force = False

    def _force(_signum: int, _frame: FrameType | None) -> None:
        nonlocal force
        force = True
        log("killing ...")
        for child in children:
            child.signal_group(signal.SIGKILL)

    signal.signal(signal.SIGINT, _force)
    signal.signal(signal.SIGTERM, _force)
    for child in reversed(children):
        child.stop(timeout=15 if child.name == "simulator" else 90, force=force)
    if children:
        log("stopped")


def main(argv: Sequence[str]) -> int:
    """Run the demo; return the exit code."""
    if argv[:1] == ["_run_hass"]:
        return run_hass(argv[1])
    args = parse_args(argv)
    if Path(sys.prefix).resolve() != (REPO / ".venv").resolve():
        log(f"run this through scripts/demo (it needs {REPO / '.venv'}, not {sys.prefix})")
        return 2
    for port, what in ((args.port, "--port"), (args.ocpp_port, "--ocpp-port")):
        if port_in_use(port):
            log(f"127.0.0.1:{port} is already in use (another demo?); pick another {what}")
            return 1
    if args.reset and CONFIG_DIR.exists():
        import shutil  # noqa: PLC0415

        shutil.rmtree(CONFIG_DIR)
        log(f"removed {CONFIG_DIR}")

    api = Api(args.port)
    children: list[Child] = []
    exit_code = 0
    with stop_signals():
        try:
            prepare_config(args.port)
            log(f"starting Home Assistant (config: {CONFIG_DIR}) ...")
            hass = start_hass()
            children.append(hass)
            wait_for_http(api, hass, args.startup_timeout)
            log(f"Home Assistant answers on {api.base}")
            onboard(api, args.username, args.password)
            configure_core(api, args.country, args.currency)
            check_frontend_calls(api)
            set_up_integration(api, args.ocpp_port, args.meter_interval)
            add_demo_card(api, args.id_tag)
            sim = None if args.no_simulator else start_simulator(args)
            if sim is not None:
                children.append(sim)
                log(f"simulator {args.charger_id!r} started")
                accept_charger(api, args.charger_id, accept=args.accept)
            print_banner(api, args)
            if not args.setup_only:
                exit_code = supervise(children)
        except Stop:
            log("stopping ...")
        except DemoError as err:
            log(f"ERROR: {err}")
            exit_code = 1
        finally:
            stop_children(children)
    return exit_code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
