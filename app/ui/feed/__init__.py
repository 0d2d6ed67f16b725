"""The live Events pane."""
