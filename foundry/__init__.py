"""Malayalam Data Foundry: raw → silver → gold → models → deploy for a Malayalam IVR."""

__version__ = "0.1.0"
