"""The Nuheat thermostats screen: list, control panel, schedule editor, energy charts."""
