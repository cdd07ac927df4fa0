"""3D Tiles streaming: tile selection, memory budget and the streamed tileset visual."""
