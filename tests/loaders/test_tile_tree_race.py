"""TileTree expansions from several threads at once (the streaming visual expands on two workers
while the GUI thread expands explicit children during traversal): every node gets its own index,
equal to its place in `nodes`, and every child list points at nodes whose parent is that tile.
Before the fix `_make_node` took `len(self.nodes)` outside the lock, so two nodes could share one."""
from __future__ import annotations

import json
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from loaders.tile_tree import open_tile_tree


def _box(x: float, y: float, half: float) -> dict:
    return {"box": [x, y, 0, half, 0, 0, 0, half, 0, 0, 0, 5]}


def _write(folder: Path, groups: int = 48, per_group: int = 40) -> Path:
    kids = []
    for g in range(groups):
        grand = [{"boundingVolume": _box(g * 10 + k * 0.2, 0, 0.1), "geometricError": 0, "content": {"uri": f"t{g}_{k}.b3dm"}}
                 for k in range(per_group)]
        kids.append({"boundingVolume": _box(g * 10, 0, 5), "geometricError": 10, "children": grand})
    root = {"boundingVolume": _box(240, 0, 300), "geometricError": 100, "refine": "REPLACE", "children": kids}
    path = folder / "tileset.json"
    path.write_text(json.dumps({"asset": {"version": "1.0"}, "geometricError": 200, "root": root}))
    return path


def test_concurrent_expansions_give_every_node_its_own_index(tmp_path: Path) -> None:
    tree = open_tile_tree(str(_write(tmp_path)))
    pending = [n.index for n in tree.nodes if n.children is None]
    assert len(pending) > 20  # past EAGER_NODES the groups wait for the view
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible: the race shows at once
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(tree.expand, pending * 2))  # each tile asked twice: claimed once
    finally:
        sys.setswitchinterval(old)
    assert [n.index for n in tree.nodes] == list(range(len(tree.nodes)))
    assert len(tree.nodes) == 1 + 48 + 48 * 40
    for node in tree.nodes:
        for child in node.children or []:
            assert tree.nodes[child].parent == node.index
    assert sorted(c for n in tree.nodes for c in (n.children or [])) == list(range(1, len(tree.nodes)))
