"""Scene model: layers, frame, camera, bookmarks, project files. Pure Python: no Qt, no VTK."""
from app.model.frame import SceneFrame  # noqa: F401
from app.model.layer_list import LayerList  # noqa: F401
from app.model.layers import BimLayer, CityModelLayer, Layer, MeshLayer, PointCloudLayer, TilesetLayer  # noqa: F401
from app.model.scene import Bookmark, Camera, Scene, Selection  # noqa: F401
