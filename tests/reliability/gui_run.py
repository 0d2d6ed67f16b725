"""The GUI half of the secret scan, run in its own process (its own QApplication):
`python -m tests.reliability.gui_run SCREENS_DIR SECRETS_JSON`.

Runs the tour on the demo site (every screen, with the text each shows), and just before the
workspace closes writes every secret that run used — the demo site's app secrets and
passwords, the site Wi-Fi password, the tokens the simulators issued, the device keys, the
credentials issued to residents — to SECRETS_JSON, which the caller keeps outside the
folder it scans.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.reliability.scan import secret_fields


def demo_site_secrets(site) -> set[str]:
    found = secret_fields(site.describe())
    if site.ewelink is not None:
        found |= set(site.ewelink.state.tokens._tokens)
        found |= {device.devicekey for device in site.ewelink.state.devices.values()}
    if site.nuheat is not None:
        identity = site.nuheat.identity
        found |= set(identity.access_tokens) | set(identity.refresh_tokens)
    if site.nexhome is not None:
        found |= {str(c["content"]) for c in site.nexhome.credentials.values()}
    found |= {device.devicekey for device in site.ap_devices}
    return found


def main(screens: Path, secrets_out: Path) -> int:
    import app.ui.tour as tour_module

    opened = tour_module.open_workspace

    async def recording_open(*args, **kwargs):
        ws = await opened(*args, **kwargs)
        close = ws.close

        async def close_after_noting_secrets() -> None:
            if ws.demo_site is not None:
                secrets_out.write_text(json.dumps(sorted(demo_site_secrets(ws.demo_site))))
            await close()

        ws.close = close_after_noting_secrets
        return ws

    tour_module.open_workspace = recording_open
    saved = tour_module.run_tour(screens, demo=True, texts=True)
    print(f"{len(saved)} screens")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
