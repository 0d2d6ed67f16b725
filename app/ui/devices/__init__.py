"""The device list and the switch panel."""
