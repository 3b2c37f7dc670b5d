"""Configuration of a simulated charger (version-neutral)."""

from __future__ import annotations

from dataclasses import dataclass, field

from simulator.habits import Habit, parse_habits

# The measurands a fresh simulator samples during a session, in the order a typical wallbox
# reports them. The CSMS can change the set with MeterValuesSampledData.
DEFAULT_MEASURANDS: tuple[str, ...] = (
    "Energy.Active.Import.Register",
    "Power.Active.Import",
    "Current.Import",
    "Current.Offered",
    "Voltage",
    "SoC",
    "Temperature",
)

# Per the Core profile's StopTxnSampledData default in most firmwares: the energy register only.
DEFAULT_STOP_TXN_MEASURANDS: tuple[str, ...] = ("Energy.Active.Import.Register",)

# OCPP subprotocol names as negotiated in the websocket handshake, per simulator mode.
SUBPROTOCOLS: dict[str, str] = {"1.6": "ocpp1.6", "2.0.1": "ocpp2.0.1", "2.1": "ocpp2.1"}
# The modes that speak OCPP 2.x (device model, TransactionEvent) instead of 1.6.
V2_VERSIONS = frozenset({"2.0.1", "2.1"})


@dataclass
class SimulatorConfig:
    """Static description of one simulated charger.

    Attributes beyond the charger's identity tune the simulation: `meter_interval` is the
    initial MeterValueSampleInterval (the CSMS may change it), `meter_start_wh` the energy
    register of every connector at start, `response_timeout` how long a call waits for the
    CSMS's answer, and `auto_heartbeat` whether Heartbeats are sent on the interval the
    CSMS grants in its BootNotification answer. `ocpp_version` picks the protocol ("1.6",
    "2.0.1" or "2.1"); `id_token_type` is the IdTokenEnum sent with the id tag in 2.x.

    `habits` switches on real-charger habits (`simulator.habits`; empty: the polite default).
    Their settings: `reboot_delay` (seconds a `reset_reboots` reboot stays offline),
    `answer_delay` (range of a `slow_answers` delay in seconds), `duplicate_message` (the
    action `duplicate_after_lost_reply` repeats; StopTransaction / StartTransaction mean
    TransactionEvent Ended / Started in 2.x), and `reboot_required_keys` (1.6 keys or 2.x
    "Component.Variable" names whose change answers RebootRequired and takes effect at the
    next reboot; no habit needed).

    `password` is the Basic auth password the charger starts with; a 1.6 charger sends it
    only with `security_profile` 1 or higher (2.x always when set). The CSMS can change both
    (AuthorizationKey / SecurityProfile, 2.x BasicAuthPassword); the charger then reconnects
    with them (a new profile after its next restart).

    `iccid` and `imsi` identify the SIM card of a charger with a cellular modem; when set,
    BootNotification carries them (1.6 iccid/imsi, 2.x chargingStation.modem). None: no
    modem, nothing sent.
    """

    charge_point_id: str = "SIM0001"
    vendor: str = "OCPP Central"
    model: str = "Simulated Wallbox"
    serial_number: str = "SIM-0001"
    firmware_version: str = "1.0.0"
    # Make firmware updates fail at this step (see `maintenance.FIRMWARE_FAILURES`).
    firmware_failure: str | None = None
    connectors: int = 1
    phases: int = 3
    voltage: float = 230.0
    max_current: float = 16.0
    meter_interval: float = 10.0
    id_tag: str = "RFID0001"
    ocpp_version: str = "1.6"
    meter_start_wh: float = 1000.0
    response_timeout: float = 10.0
    auto_heartbeat: bool = True
    id_token_type: str = "ISO14443"
    habits: frozenset[Habit] = frozenset()
    reboot_delay: float = 10.0
    answer_delay: tuple[float, float] = (0.1, 1.0)
    duplicate_message: str = "StopTransaction"
    reboot_required_keys: frozenset[str] = field(default_factory=frozenset)
    iccid: str | None = None
    imsi: str | None = None
    # HTTP Basic auth password (sent with the charger id as user; 1.6 only from security
    # profile 1 on) and the 1.6 SecurityProfile key.
    password: str | None = None
    security_profile: int = 0
    # 1.6: the wss URL an installer configured for security profiles 2 and 3 (1.6 has no
    # standard key for it; 2.x gets it with SetNetworkProfile), and root certificates the
    # charger trusts from the start (PEM).
    secure_url: str | None = None
    trusted_roots: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        """Reject configurations the simulation cannot represent; normalise the habits.

        Habit names are accepted as strings. `one_phase` makes the installation single-phase.
        """
        if self.ocpp_version not in SUBPROTOCOLS:
            supported = ", ".join(SUBPROTOCOLS)
            raise ValueError(f"unsupported OCPP version {self.ocpp_version!r} ({supported})")
        if self.connectors < 1:
            raise ValueError("a charger needs at least one connector")
        if self.phases not in {1, 2, 3}:
            raise ValueError("phases must be 1, 2 or 3")
        self.habits = parse_habits(self.habits)
        self.reboot_required_keys = frozenset(self.reboot_required_keys)
        low, high = self.answer_delay
        if not 0 <= low <= high:
            raise ValueError("answer_delay must be (low, high) with 0 <= low <= high")
        if self.reboot_delay < 0:
            raise ValueError("reboot_delay must not be negative")
        if Habit.ONE_PHASE in self.habits:
            # A single-phase installation: whatever the charger could do, it gets one phase.
            self.phases = 1

    def has(self, habit: Habit) -> bool:
        """True if the simulated charger shows `habit`."""
        return habit in self.habits

    @property
    def is_v2(self) -> bool:
        """True in the OCPP 2.0.1 and 2.1 modes."""
        return self.ocpp_version in V2_VERSIONS


@dataclass
class ConfigKey:
    """One configuration key as GetConfiguration reports it.

    In 2.x one device model variable, `readonly` meaning mutability ReadOnly.
    """

    value: str
    readonly: bool = False
    # Secrets (1.6 AuthorizationKey, 2.x BasicAuthPassword) can be written, never read.
    writeonly: bool = False


def format_seconds(seconds: float) -> str:
    """Format an interval for a configuration key: integral values without a decimal point."""
    return str(int(seconds)) if float(seconds).is_integer() else str(seconds)
