"""Seeded demo district (Wuhan, EPSG:4547): 3D Tiles city, IFC building under construction, LAZ site scan.

Nothing here is stored in git: `ensure_demo_data()` generates the files into a cache directory on first use.
"""
from assets.demo._site import DEMO_CRS, DEMO_ORIGIN_LLA, DEMO_VERSION  # noqa: F401


def ensure_demo_data(*args, **kwargs):  # lazy wrapper: importing the package stays cheap
    from assets.demo.generate import ensure_demo_data as _ensure

    return _ensure(*args, **kwargs)
