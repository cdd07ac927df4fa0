"""Feature filter expressions: syntax, three-valued semantics, safety, vectorised speed, layers."""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest

from app.model.feature_filter import (
    FilterError, cell_mask, columns_from_records, compile_filter, evaluate_filter,
)
from app.model.layers import BimLayer, CityModelLayer, MeshLayer, TilesetLayer
from loaders.base import ElementInfo
from tests.loaders.builders import box, make_b3dm, make_glb

COLS = {
    "height": [12.0, 55.5, 80, None, float("nan"), "70"],
    "use": ["office", "retail", "home", "office", None, "office"],
    "year": np.array([1990, 2005, 2021, 2000, 1985, 2010]),
    "Pset_WallCommon.IsExternal": [True, False, True, None, True, np.bool_(False)],
    "roof type": ["flat", "gable", "flat", "flat", "hip", "flat"],
}


def sel(expr: str, cols: dict = COLS) -> list[int]:
    return np.flatnonzero(compile_filter(expr).mask(cols, 6)).tolist()


@pytest.mark.parametrize("expr, expected", [
    ("height > 50", [1, 2]),
    ("height >= 12 and height < 56", [0, 1]),
    ('use == "office" and year >= 2000', [3, 5]),
    ("use === 'office' && year >= 2000", [3, 5]),
    ('use = "home"', [2]),
    ('use != "office"', [1, 2]),
    ("not (height < 50)", [1, 2]),  # rows without a numeric height never match, also under not
    ("!(height < 50)", [1, 2]),
    ('use in ("office", "retail")', [0, 1, 3, 5]),
    ("use in ['home']", [2]),
    ('use not in ("office", "retail")', [2]),
    ("year in (1990, 2021)", [0, 2]),
    ('use contains "tai"', [1]),
    ('use startswith "off" or use endswith "me"', [0, 2, 3, 5]),
    ("${height} > 50", [1, 2]),
    ("[Pset_WallCommon.IsExternal] == true", [0, 2, 4]),
    ("Pset_WallCommon.IsExternal", [0, 2, 4]),
    ("Pset_WallCommon.IsExternal == false", [1, 5]),
    ('${roof type} == "flat"', [0, 2, 3, 5]),
    ('[roof type] != "flat"', [1, 4]),
    ("height == null", [3, 4]),
    ("height != null", [0, 1, 2, 5]),
    ("height * 2 - 10 > 100", [1, 2]),
    ("-height < -50", [1, 2]),
    ("year % 2 == 1", [1, 2, 4]),
    ("height / 0 > 1", [0, 1, 2]),  # x/0 = inf for x > 0: still a number
    ("year > 2000 or height > 70", [1, 2, 5]),
    ("(year > 2000 or height > 70) and not use == 'retail'", [2, 5]),
    ("TRUE", [0, 1, 2, 3, 4, 5]),
    ("false", []),
    ("1 < 2", [0, 1, 2, 3, 4, 5]),
])
def test_expressions_select_the_expected_features(expr: str, expected: list[int]) -> None:
    assert sel(expr) == expected


def test_missing_values_and_type_mismatches_never_match() -> None:
    assert sel("nosuch > 1") == [] and sel("not (nosuch > 1)") == []
    assert sel('height == "70"') == [5]  # a text "70" is text, not the number 70
    assert sel("height == 70") == []
    assert sel('year > "2000"') == [] and sel("use > 5") == []
    assert sel("use") == []  # text in a true/false position is unknown, not truthy
    assert sel("nosuch == null") == [0, 1, 2, 3, 4, 5]
    # unknown or true is true, unknown and false is false (Kleene logic)
    assert sel("nosuch > 1 or height > 50") == [1, 2]
    assert sel("not (nosuch > 1 and height > 50)") == [0]


def test_matches_one_feature_dict() -> None:
    flt = compile_filter('height > 30 and name contains "Tower"')
    assert flt.names == {"height", "name"}
    assert flt.matches({"height": 42, "name": "Wuhan Tower"})
    assert not flt.matches({"height": 42, "name": "Block"})
    assert not flt.matches({"name": "Wuhan Tower"})
    assert not flt.matches({"height": None, "name": "Wuhan Tower"})
    assert not flt.matches({"height": float("nan"), "name": "Wuhan Tower"})
    assert compile_filter("").matches({}) and compile_filter("   ").is_blank


@pytest.mark.parametrize("expr, column, words", [
    ("height >", 9, "expected a value"),
    ("height > 5 5", 12, "unexpected '5'"),
    ("(height > 5", 12, "expected ')'"),
    ('use == "office', 8, "unterminated string"),
    ("${height > 5", 1, "unterminated ${"),
    ("${} > 1", 1, "empty property name"),
    ("1 < height < 5", 12, "chain comparisons"),
    ("height + 1", 1, "not true/false"),
    ('"text"', 1, "not true/false"),
    ("use in 5", 8, "expected a list"),
    ("height > 5 ; rm", 12, "unexpected character ';'"),
    ("a ==== b", 6, "expected a value"),
    ("use in ('a' 'b')", 13, "expected ',' or ')'"),
    ("height @ 2", 8, "unexpected character '@'"),
])
def test_bad_syntax_gives_a_readable_error_with_its_column(expr: str, column: int, words: str) -> None:
    with pytest.raises(FilterError) as info:
        compile_filter(expr)
    assert info.value.column == column, str(info.value)
    assert words in str(info.value) and f"column {column}" in str(info.value)


@pytest.mark.parametrize("expr", [
    "__import__('os')",
    "__import__('os').system('touch /tmp/twinscape_pwned')",
    "open('/etc/passwd')",
    "height.__class__.__mro__",  # a dotted name is just a (missing) property name
    "exec('1')",
    "lambda: 1",
    "[x for x in ()]",
    "eval(\"1\")",
])
def test_code_is_never_run(expr: str, tmp_path) -> None:
    try:
        flt = compile_filter(expr)
    except FilterError:
        return
    # whatever parses is only a property lookup: nothing matches and nothing ran
    assert not flt.mask({"height": [1, 2]}).any()
    assert not (tmp_path / "twinscape_pwned").exists()


def test_deep_nesting_and_huge_input_are_refused_cleanly() -> None:
    with pytest.raises(FilterError, match="nested too deeply"):
        compile_filter("(" * 3000 + "a > 1" + ")" * 3000)
    with pytest.raises(FilterError, match="nested too deeply"):
        compile_filter("!" * 5000 + "a")
    with pytest.raises(FilterError, match="longer than"):
        compile_filter("a > 1 and " * 2000 + "a > 1")
    assert sel("(" * 50 + "height > 50" + ")" * 50) == [1, 2]


def test_columns_of_mixed_lengths_and_objects() -> None:
    # a batch table column shorter than the feature count, vec3 values, dicts: never an error
    cols = {"height": [10, 60], "pos": [[1, 2, 3], [4, 5, 6], [7, 8, 9]], "meta": [{"a": 1}, None, {}]}
    assert compile_filter("height > 5").mask(cols, 4).tolist() == [True, True, False, False]
    assert not compile_filter("pos > 1").mask(cols, 3).any()
    assert compile_filter("meta == null").mask(cols, 3).tolist() == [False, True, False]
    assert compile_filter("height > 5").mask({"height": np.array([1.0, 9.0, np.nan])}).tolist() == [False, True, False]
    assert compile_filter("x == 1").mask({}, 0).shape == (0,)


def test_evaluate_filter_never_raises_and_names_unknown_properties() -> None:
    bad = evaluate_filter("height >", COLS, 6)
    assert bad.error.startswith("expected a value") and bad.mask.all() and bad.matched == 6
    typo = evaluate_filter("heigth > 50", COLS, 6)
    assert typo.error == "" and typo.unknown == ("heigth",) and typo.matched == 0 and typo.total == 6
    good = evaluate_filter("height > 50", COLS, 6)
    assert good.matched == 2 and good.unknown == ()


def test_cell_mask_for_one_streamed_tile() -> None:
    props = {"height": [10.0, 60.0, 35.0], "use": ["home", "office", "office"]}
    cells = np.array([0, 0, 1, 1, 2, -1, 2])
    assert cell_mask("height > 30", props, cells).tolist() == [False, False, True, True, True, True, True]
    assert cell_mask("height > 1", props, cells) is None  # every cell stays: nothing to hide
    assert cell_mask("", props, cells) is None and cell_mask("height >", props, cells) is None
    assert cell_mask("height > 30", {"name": ["terrain"]}, np.zeros(4, int)) is None  # terrain tile
    assert cell_mask("height > 30", props, None) is None
    assert cell_mask("height > 30", {"height": [10.0]}, np.array([0, 3])).tolist() == [False, False]


def test_columns_from_records_reads_only_named_properties() -> None:
    class Spy(dict):
        reads: list[str] = []

        def get(self, key, default=None):
            Spy.reads.append(key)
            return super().get(key, default)

    recs = [Spy(height=5, secret=1), Spy(height=50)]
    cols = columns_from_records(recs, ["height"])
    assert cols == {"height": [5, 50]} and set(Spy.reads) == {"height"}


def test_large_table_is_vectorised() -> None:
    """100k features: a filter costs a few numpy passes, not a Python loop per feature."""
    rng = np.random.default_rng(7)
    n = 100_000
    uses = np.array(["office", "retail", "home", "school"])
    cols = {"height": rng.uniform(0, 100, n).tolist(), "use": uses[rng.integers(0, 4, n)].tolist(),
            "year": rng.integers(1950, 2024, n)}
    flt = compile_filter('height > 50 and use in ("office", "retail") and not (year < 2000)')
    t0 = time.perf_counter()
    mask = flt.mask(cols)
    elapsed = time.perf_counter() - t0
    h, u, y = np.asarray(cols["height"]), np.asarray(cols["use"]), cols["year"]
    assert np.array_equal(mask, (h > 50) & np.isin(u, ["office", "retail"]) & (y >= 2000))
    # per-feature matches() over the same rows, as a baseline: the vectorised mask is far cheaper
    t0 = time.perf_counter()
    for i in range(2000):
        flt.matches({"height": cols["height"][i], "use": cols["use"][i], "year": int(y[i])})
    per_row = (time.perf_counter() - t0) / 2000
    print(f"100k-feature mask {elapsed * 1e3:.1f} ms; per-feature matches() {per_row * 1e6:.0f} us/feature")
    assert elapsed < per_row * n / 5  # loose ratio, not a timing threshold


def _features() -> list[ElementInfo]:
    els = [ElementInfo(id=f"b{i}", name=f"Building {i}", properties={"height": h, "use": u})
           for i, (h, u) in enumerate([(12.0, "home"), (45.0, "office"), (80.0, "office"), (25.0, "retail")])]
    return els + [ElementInfo(id="terrain.b3dm")]  # no properties, no class: terrain, not a feature


def _mesh(cls: type[MeshLayer] = TilesetLayer, **kw) -> MeshLayer:
    els = _features()
    faces = np.arange(3 * len(els) * 2).reshape(-1, 3)
    data = {"vertices": np.random.default_rng(1).random((faces.size, 3)), "faces": faces,
            "face_element": np.repeat(np.arange(len(els)), 2).astype(np.int32), "elements": els}
    return cls(data=data, **kw)


def test_mesh_layer_filter_combines_with_user_hidden_elements() -> None:
    layer = _mesh()
    events: list[str] = []
    layer.events.feature_filter.connect(lambda *_: events.append("filter"))
    layer.set_elements_hidden([2], True)  # the user hides the tallest building
    layer.feature_filter = "height > 30"
    assert events == ["filter"]
    assert layer.filter_counts() == (2, 4)
    assert layer.not_drawn_mask().tolist() == [True, False, True, True, False]  # terrain stays
    assert layer.hidden_mask().tolist() == [False, False, True, False, False]  # user's choice intact
    layer.set_elements_hidden([2], False)
    assert layer.not_drawn_mask().tolist() == [True, False, False, True, False]
    layer.feature_filter = ""
    assert not layer.not_drawn_mask().any() and layer.filter_counts() == (4, 4)


def test_tileset_terrain_without_the_filtered_property_stays_drawn() -> None:
    layer = _mesh()
    layer.data["elements"][-1].properties["name"] = "terrain"  # its own batch table: only a name
    layer.feature_filter = "height > 30"
    assert layer.filter_counts() == (2, 4) and not layer.not_drawn_mask()[-1]
    layer.feature_filter = 'name != "terrain"'  # a property the terrain does carry: filtered too
    assert layer.filter_counts() == (4, 5) and layer.not_drawn_mask()[-1]
    city = _mesh(CityModelLayer)  # one attribute table for every object: missing means no match
    city.data["elements"][-1].properties["name"] = "terrain"
    city.feature_filter = "height > 30"
    assert city.filter_counts() == (2, 5) and city.not_drawn_mask()[-1]
    flt = compile_filter("height > 30")
    assert flt.applies_to({"height": [1], "name": ["a"]}) and not flt.applies_to({"name": ["terrain"]})
    assert compile_filter("").applies_to({}) and compile_filter("true").applies_to({})


def test_mesh_layer_invalid_filter_shows_everything_and_exposes_the_error() -> None:
    layer = _mesh()
    layer.feature_filter = "height >> 3"
    assert "expected a value" in layer.filter_result().error
    assert not layer.not_drawn_mask().any() and layer.filter_counts() == (4, 4)


def test_mesh_layer_filter_reads_class_name_and_id() -> None:
    layer = _mesh(CityModelLayer)
    layer.data["elements"][0].ifc_class = "Building"
    layer.feature_filter = 'class == "Building" or name == "Building 3"'
    assert layer.filter_counts() == (2, 4)
    layer.feature_filter = 'id in ("b1", "b2")'
    assert layer.filter_counts() == (2, 4)


def test_ifc_filter_by_class_reads_no_property_sets() -> None:
    class Lazy(dict):
        def __len__(self) -> int:
            raise AssertionError("property sets were read")

        def get(self, key, default=None):
            return None if key == "class" else dict.get(self, key, default)

    els = [ElementInfo(id=str(i), ifc_class=c, properties=Lazy()) for i, c in enumerate(["IfcWall", "IfcSlab", "IfcWall"])]
    layer = BimLayer(data={"vertices": np.zeros((0, 3)), "faces": np.zeros((0, 3), np.int64), "elements": els})
    layer.feature_filter = "class == 'IfcWall'"
    assert layer.filter_counts() == (2, 3)


@pytest.mark.parametrize("cls", [MeshLayer, BimLayer, TilesetLayer, CityModelLayer])
def test_filter_is_saved_in_layer_state(cls: type[MeshLayer]) -> None:
    layer = cls(name="a", feature_filter='use == "office"')
    state = json.loads(json.dumps(layer.get_state()))
    assert state["feature_filter"] == 'use == "office"'
    assert cls.from_state(state).feature_filter == 'use == "office"'
    assert cls.from_state({"name": "old project"}).feature_filter == ""


def test_infinite_literals_compare_as_numbers() -> None:
    assert sel("height > -1e309") == [0, 1, 2]  # -inf literal compares as a number


HEIGHTS = [12.0, 45.0, 80.0, 25.0, 33.5, 60.0]
USES = ["home", "office", "office", "retail", "home", "office"]


def district_tile(tmp_path: Path) -> Path:
    """Six box buildings in one b3dm, one feature each, with height/use in the batch table."""
    verts, faces, ids = [], [], []
    for i, h in enumerate(HEIGHTS):
        v, f = box(1.0)
        v = v * [10.0, h, 10.0] + [i * 15.0, 0.0, 0.0]  # y-up glTF: the height is y
        faces.append(f + 8 * i)
        verts.append(v)
        ids.append(np.full(8, i))
    glb = make_glb(np.concatenate(verts), np.concatenate(faces), batch_ids=np.concatenate(ids))
    table = {"height": HEIGHTS, "use": USES, "name": [f"B{i}" for i in range(6)]}
    path = tmp_path / "district.b3dm"
    path.write_bytes(make_b3dm(glb, batch_length=6, batch_table=table))
    return path


def test_filter_survives_project_save_and_reopen(tmp_path: Path) -> None:
    from app.model.opening import open_paths
    from app.model.project import write_project
    from app.model.scene import Scene

    scene = Scene()
    [layer] = open_paths(scene, [str(district_tile(tmp_path))], on_error=lambda e: pytest.fail(str(e)))
    scene.layers.append(layer)
    layer.feature_filter = 'height > 30 and use == "office"'
    layer.set_elements_hidden([0], True)
    assert layer.filter_counts() == (3, 6)
    write_project(scene, tmp_path / "p.twin")
    again = Scene()
    [reopened] = open_paths(again, [str(tmp_path / "p.twin")], on_error=lambda e: pytest.fail(str(e)))
    assert reopened.feature_filter == 'height > 30 and use == "office"' and list(reopened.hidden) == [0]
    assert reopened.filter_counts() == (3, 6)
    assert reopened.not_drawn_mask().tolist() == [True, False, False, True, True, False]


def test_filter_a_real_ifc_by_class_and_property_set() -> None:
    from app.model.opening import open_paths
    from app.model.scene import Scene
    from tests.conftest import corpus_file

    path = corpus_file("ifc/fzk-haus/AC20-FZK-Haus.ifc")
    [layer] = open_paths(Scene(), [str(path)], on_error=lambda e: pytest.fail(str(e)))
    layer.feature_filter = 'class == "IfcWallStandardCase"'
    assert layer.filter_counts() == (13, 107)
    layer.feature_filter = '[ArchiCADProperties.Raumname] == "Wohnen" and class startswith "IfcWall"'
    matched, total = layer.filter_counts()
    assert 0 < matched < 13 and total == 107
    drawn = ~layer.not_drawn_mask()
    assert all(layer.elements[i].ifc_class.startswith("IfcWall") for i in np.flatnonzero(drawn))
