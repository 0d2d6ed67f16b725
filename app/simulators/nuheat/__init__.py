"""Simulated Nuheat cloud: OpenID Connect identity server + OpenAPI v1, demo homes, faults.

Start here: `NuheatSim` (sim.py). The identity server is oidc.py (tokens in state.py, the
RS256 key in jwt_signing.py), the API api.py, the server-side schedule rules
schedule_checks.py (independent of the client's rules on purpose), the rate limits
ratelimit.py, the demo homes and energy logs demo.py.
"""

from app.simulators.nuheat.demo import DEMO_PASSWORD, DEMO_USERNAME, EMPTY_USERNAME
from app.simulators.nuheat.ratelimit import DEFAULT_RATE_LIMITS, RateLimit
from app.simulators.nuheat.schedule_checks import check_schedule
from app.simulators.nuheat.sim import Faults, NuheatSim

__all__ = ["DEFAULT_RATE_LIMITS", "DEMO_PASSWORD", "DEMO_USERNAME", "EMPTY_USERNAME", "Faults", "NuheatSim",
           "RateLimit", "check_schedule"]
