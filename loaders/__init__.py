"""File or URL -> plain data. No Qt, no global state beyond the loader registry."""
from loaders.base import (  # noqa: F401
    ElementInfo,
    Georef,
    LayerData,
    LoadCancelled,
    LoadError,
    MeshData,
    PointCloudData,
    TilesetData,
)
from loaders.registry import find_loader, load, register_loader, supported_extensions  # noqa: F401

