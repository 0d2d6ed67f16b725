"""Simulated eWeLink (CoolKit v1) cloud: REST, websocket, seeded demo accounts, faults.

Start here: `EwelinkCloudSim` (cloud.py). The wire rules it enforces are in rest.py and
websocket.py, device behaviour in devices.py, accounts/tokens/seed in state.py.

A device you pair like a real one: `SimulatedSonoff` (sonoff.py; AP mode in ap_server.py,
LAN control in lan_server.py, mDNS in advertiser.py, its AES in lan_cipher.py); the cloud's
end of its websocket is device_socket.py.
"""

from app.simulators.ewelink.cloud import REGIONS, EwelinkCloudSim, Faults
from app.simulators.ewelink.state import DEMO_PASSWORD, SEED, SeedAccount, SeedDevice

__all__ = ["DEMO_PASSWORD", "REGIONS", "SEED", "EwelinkCloudSim", "Faults", "SeedAccount", "SeedDevice"]
