"""The Qt binding must not drain the reference count of None (issue 9, item 1).

PySide6 6.12.0 on Python 3.11 lowers None's count by one on every void-returning call
(QTreeWidgetItem.addChild, setData, setFlags...): a model tree of a few thousand elements then
aborts the interpreter with "Fatal Python error: none_dealloc". The calls run in a subprocess, so
a leaking binding fails this test instead of killing the test run.
"""
from __future__ import annotations

import os
import subprocess
import sys

CALLS = 20_000
ALLOWED_DROP = 1_000  # noise: interned objects, caches; a leaking binding drops by ~4 x CALLS

SCRIPT = f"""
import sys
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QTreeWidget, QTreeWidgetItem

app = QApplication([])
tree = QTreeWidget()
root = QTreeWidgetItem(["root"])
tree.addTopLevelItem(root)
flags = root.flags() | Qt.ItemFlag.ItemIsUserCheckable
before = sys.getrefcount(None)
for i in range({CALLS}):
    item = QTreeWidgetItem([str(i)])
    root.addChild(item)
    item.setData(0, Qt.ItemDataRole.UserRole, i)
    item.setFlags(flags)
    item.setCheckState(0, Qt.CheckState.Checked if i % 2 else Qt.CheckState.Unchecked)
after = sys.getrefcount(None)
import PySide6
print(PySide6.__version__, before, after, root.childCount())
"""


def test_tree_item_calls_keep_the_refcount_of_none() -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    run = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, f"the binding aborted the interpreter (rc {run.returncode}): {run.stderr[-2000:]}"
    version, before, after, children = run.stdout.split()[-4:]
    assert int(children) == CALLS
    drop = int(before) - int(after)
    assert drop < ALLOWED_DROP, f"PySide6 {version}: {4 * CALLS} tree-item calls lowered sys.getrefcount(None) by {drop}"
