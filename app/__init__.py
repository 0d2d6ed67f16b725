"""SiteKit: the installer's laptop app for eWeLink, NEXhome, NXCloud and Nuheat sites."""

__version__ = "0.1.0"
