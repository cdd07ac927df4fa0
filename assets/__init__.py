"""Bundled assets of Twinscape (the demo-data generator lives in assets.demo)."""
