"""Twinscape: a desktop digital twin for cities and construction sites."""
__version__ = "0.1.0"
