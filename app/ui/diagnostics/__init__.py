"""The Diagnostics screen: SiteKit's own log, and the zip for support."""
