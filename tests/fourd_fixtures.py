"""A generated model with a schedule and a link table for the 4D tests: n box elements on a grid,
each built by one of n_tasks tasks (element i by task i * n_tasks // n), tasks in sequence."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

from app.model.layers import BimLayer
from loaders.base import ElementInfo
from loaders.schedule import Schedule, Task

T0 = datetime(2025, 1, 6, 8, 0, tzinfo=timezone.utc)
_BOX_FACES = np.array([[0, 1, 2], [0, 2, 3], [4, 6, 5], [4, 7, 6], [0, 4, 5], [0, 5, 1],
                       [1, 5, 6], [1, 6, 2], [2, 6, 7], [2, 7, 3], [3, 7, 4], [3, 4, 0]], dtype=np.int64)
_BOX_VERTS = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 0, 1], [1, 0, 1], [1, 1, 1], [0, 1, 1]], dtype=np.float64)


def guid(i: int) -> str:
    return f"E{i:021d}"


def box_model(n: int, name: str = "model", spacing: float = 2.0) -> BimLayer:
    """n unit boxes (12 triangles each) on a square grid, one element per box."""
    side = int(np.ceil(np.sqrt(n)))
    offsets = np.stack([np.arange(n) % side, np.arange(n) // side, np.zeros(n)], axis=1) * spacing
    vertices = (offsets[:, None, :] + _BOX_VERTS[None]).reshape(-1, 3)
    faces = (_BOX_FACES[None] + 8 * np.arange(n)[:, None, None]).reshape(-1, 3)
    elements = [ElementInfo(id=guid(i), ifc_class="IfcWall", name=f"wall {i}", color=(0.8, 0.8, 0.8, 1.0),
                            properties={"Pset_4D.Task": f"Task {i * 1 + 1}"}) for i in range(n)]
    data = {"vertices": vertices, "faces": faces, "face_element": np.repeat(np.arange(n), 12),
            "elements": elements, "vertex_colors": None}
    return BimLayer(name=name, data=data)


def sequence(n_tasks: int, days: int = 10, overlap: int = 0) -> Schedule:
    """Task k runs from T0 + k*days to T0 + (k+1)*days (+ overlap), one after the other."""
    tasks = [Task(uid=str(k + 1), id=str(k + 1), wbs=f"1.{k + 1}", name=f"Task {k + 1}",
                  start=T0 + timedelta(days=k * days), finish=T0 + timedelta(days=(k + 1) * days + overlap))
             for k in range(n_tasks)]
    return Schedule(tasks, format="csv", name="generated")


def task_of(i: int, n: int, n_tasks: int) -> int:
    return i * n_tasks // n


def link_csv(path: Path, n: int, n_tasks: int) -> Path:
    """GUID;TaskUID rows linking element i to task task_of(i)."""
    rows = ["GUID;TaskUID"] + [f"{guid(i)};{task_of(i, n, n_tasks) + 1}" for i in range(n)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def schedule_csv(path: Path, schedule: Schedule) -> Path:
    """The schedule as a CSV file the schedule loader reads."""
    rows = ["UID,ID,WBS,Name,Start,Finish"] + [f"{t.uid},{t.id},{t.wbs},{t.name},{t.start.isoformat()},{t.finish.isoformat()}"
                                               for t in schedule.tasks]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path
