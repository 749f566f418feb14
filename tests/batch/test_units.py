"""Batch pieces without a cluster: planning, manifest, parcel ids across seams, STAC, errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from paii_core import io
from paii_core.batch import plan, run_batch
from paii_core.batch.manifest import Manifest
from paii_core.batch.mosaic import build_mosaics, parcel_luts
from paii_core.batch.stac import expand_inputs
from paii_core.batch.tiles import Scene, Tile, plan_tiles
from paii_core.errors import FormatError, InputNotFoundError, ValidationError
from tests.batch.conftest import CRS, transform


def test_plan_cuts_windows_with_clipped_halos(big_bgrn):
    tiles = plan("dehaze", [big_bgrn], tile=64, options={})
    assert [t.key for t in tiles] == [f"big/r{r:06d}_c{c:06d}" for r in (0, 64) for c in (0, 64)]
    assert tiles[0].core == (0, 0, 64, 64) and tiles[0].read == (0, 0, 96, 112)
    assert tiles[3].core == (64, 64, 32, 48) and tiles[3].read == (0, 0, 96, 112)
    assert len({t.input_hash for t in tiles}) == 4
    other = plan("dehaze", [big_bgrn], tile=64, options={"method": "dcp"})
    assert not {t.input_hash for t in tiles} & {t.input_hash for t in other}


def test_manifest_skips_a_torn_last_line(tmp_path):
    m = Manifest(tmp_path)
    m.append({"tile": "a/whole", "status": "done", "output": "x.tif"})
    with m.path.open("ab") as f:
        f.write(b'{"tile": "b/whole", "sta')  # a kill mid-write
    assert list(m.latest()) == ["a/whole"]
    m.append({"tile": "c/whole", "status": "failed"})
    assert list(m.latest()) == ["a/whole", "c/whole"]
    assert m.finished(tmp_path) == {}  # x.tif does not exist
    (tmp_path / "x.tif").write_bytes(b"")
    assert list(m.finished(tmp_path)) == ["a/whole"]


def _label_tile(path: Path, labels: np.ndarray, x0: float) -> None:
    io.write_geotiff(path, labels, crs=CRS, transform=transform(x0), dtype="int32", nodata=-1)


def test_parcel_ids_are_unique_and_joined_across_a_seam(tmp_path):
    scene = Scene("s", ("s.tif",), 16, 8)
    left = np.zeros((8, 8), np.int32)
    right = np.zeros((8, 8), np.int32)
    left[0:5, 4:8], right[0:5, 0:3] = 1, 1  # one field cut by the seam at column 8
    left[6:8, 0:3] = 2  # a field inside the left core
    right[6:8, 5:8] = 2  # another inside the right core, touching no seam
    right[5, 0] = 3  # a sliver facing the left core's background
    tiles = [
        Tile("s/r000000_c000000", scene, (0, 0, 8, 8), (0, 0, 16, 8), "h1"),
        Tile("s/r000000_c000008", scene, (8, 0, 8, 8), (0, 0, 16, 8), "h2"),
    ]
    records = {}
    for t, labels, x0 in ((tiles[0], left, 300_000.0), (tiles[1], right, 300_080.0)):
        rel = f"tiles/{t.key}.tif"
        _label_tile(tmp_path / rel, labels, x0)
        records[t.key] = {"output": rel, "n_labels": int(labels.max())}
    luts = parcel_luts(tmp_path, tiles, records)
    assert luts["s/r000000_c000000"].tolist() == [0, 1, 2]
    assert luts["s/r000000_c000008"].tolist() == [0, 1, 3, 4]
    (mosaic,) = build_mosaics(tmp_path, "parcels", tiles, records)
    ids = io.read_geotiff(mosaic).data[0]
    assert ids.shape == (8, 16) and ids[0, 7] == ids[0, 8] == 1
    assert sorted(np.unique(ids).tolist()) == [0, 1, 2, 3, 4]


def test_a_mosaic_keeps_the_latest_valid_value_and_reads_no_covered_tile(tmp_path, monkeypatch):
    """Overlapping float tiles (several dates of one place, one shifted): each pixel and
    band of the mosaic is the last valid value in member order, as laying the members
    down one after the other gives; a member whose whole window later ones already
    cover is never read."""
    from paii_core.batch import mosaic as mosaic_mod

    rng = np.random.default_rng(5)
    scene = Scene("s", ("s.tif",), 16, 16)
    stacks, tiles, records = [], [], {}
    for i, x0 in enumerate((300_000.0, 300_000.0, 300_040.0, 300_000.0, 300_000.0)):
        data = rng.uniform(0, 1, (2, 16, 16)).astype(np.float32)
        if i in (3, 4):
            data[:, 2:9, 3:12] = np.nan  # a cloud on the two latest dates
        if i == 4:
            data[1, 12:, :4] = np.nan  # one band only
        key = f"s{i}/whole"
        rel = f"tiles/{key}.tif"
        io.write_geotiff(tmp_path / rel, data, crs=CRS, transform=transform(x0))
        stacks.append((data, round((x0 - 300_000.0) / 10)))
        tiles.append(Tile(key, scene, None, None, f"h{i}"))
        records[key] = {"output": rel}
    read = []
    real = mosaic_mod._read_member
    monkeypatch.setattr(mosaic_mod, "_read_member", lambda p: read.append(p.parent.name) or real(p))
    (mosaic,) = build_mosaics(tmp_path, "dehaze", tiles, records)
    want = np.full((2, 16, 20), np.nan, np.float32)
    for data, col in stacks:  # laid down in order, later valid values win
        window = want[:, :, col : col + 16]
        window[...] = np.where(np.isnan(data), window, data)
    np.testing.assert_array_equal(io.read_geotiff(mosaic).data, want)
    # s2 (shifted) fills the cloud from column 4 on, s1 the rest of it: s0 is unread.
    assert read == ["s4", "s3", "s2", "s1"]
    monkeypatch.setattr(mosaic_mod, "RAW_LIMIT", 0)  # a large mosaic: deflated intermediate
    (again,) = build_mosaics(tmp_path, "dehaze", tiles, records)
    np.testing.assert_array_equal(io.read_geotiff(again).data, want)


def test_stac_items_give_their_local_data_asset(tmp_path, big_bgrn):
    item = {
        "type": "Feature",
        "id": "x",
        "assets": {
            "data": {"href": str(big_bgrn), "type": "image/tiff", "roles": ["data"]},
            "thumb": {"href": "t.png", "type": "image/png"},
        },
    }
    (tmp_path / "item.json").write_text(json.dumps(item))
    coll = {"type": "FeatureCollection", "features": [item, item]}
    (tmp_path / "coll.json").write_text(json.dumps(coll))
    # an asset named twice (by an item and by its path, by two items) is one input
    assert expand_inputs([tmp_path / "item.json", big_bgrn]) == [big_bgrn]
    assert expand_inputs([tmp_path / "coll.json"]) == [big_bgrn]


@pytest.mark.parametrize(
    ("doc", "match"),
    [
        ("not json", "is not readable JSON"),
        ({"type": "Catalog"}, "is not a STAC Item or ItemCollection"),
        ([1, 2], "is not a STAC object"),
        ({"type": "Feature", "id": "y", "assets": {}}, "has 0 GeoTIFF data assets"),
        (
            {"type": "Feature", "assets": {"d": {"href": "https://x/a.tif", "roles": ["data"]}}},
            "is remote",
        ),
        (
            {"type": "Feature", "id": "z", "assets": {"d": {"type": "image/tiff"}}},
            "asset 'd' of STAC item 'z' has no href",
        ),
    ],
)
def test_stac_errors_name_the_file(tmp_path, doc, match):
    p = tmp_path / "bad.json"
    p.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    with pytest.raises(FormatError, match=match):
        expand_inputs([p])


def test_bad_arguments_are_refused_before_any_work(tmp_path, big_bgrn, monkeypatch):
    monkeypatch.setattr("paii_core.batch.cluster.CONNECT_TIMEOUT", "1s")
    with pytest.raises(ValidationError, match="job 'nope' is unknown"):
        run_batch("nope", [big_bgrn], tmp_path)
    with pytest.raises(InputNotFoundError, match="no such file"):
        run_batch("dehaze", [tmp_path / "missing.tif"], tmp_path)
    with pytest.raises(ValidationError, match="--inputs is empty"):
        run_batch("dehaze", [], tmp_path)
    with pytest.raises(ValidationError, match="--tile 8 is too small"):
        run_batch("dehaze", [big_bgrn], tmp_path, tile=8)
    with pytest.raises(ValidationError, match="--workers 0 should be 1 or more"):
        run_batch("dehaze", [big_bgrn], tmp_path, workers=0)
    with pytest.raises(ValidationError, match="--method 'x' is unknown for dehaze"):
        run_batch("dehaze", [big_bgrn], tmp_path, method="x")
    with pytest.raises(ValidationError, match="cannot reach it"):
        run_batch("dehaze", [big_bgrn], tmp_path, scheduler="tcp://127.0.0.1:9")
    bad = tmp_path / "bad.tif"
    bad.write_bytes(b"II*\x00garbage")
    with pytest.raises(FormatError, match="is not a readable GeoTIFF"):
        run_batch("dehaze", [bad], tmp_path)


def test_plan_tiles_rejects_a_tiny_tile():
    with pytest.raises(ValidationError, match="too small"):
        plan_tiles([], tile=4, halo=0, salt="", hashes={})


def test_device_cuda_without_a_gpu_is_refused(monkeypatch, bgrn_files, tmp_path):
    import torch

    from paii_core.batch.jobs import device_for

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert device_for("auto") == "cpu" and device_for("cpu") == "cpu"
    with pytest.raises(ValidationError, match="--device 'tpu' is unknown; use one of auto"):
        device_for("tpu")
    with pytest.raises(ValidationError, match="--device cuda: this machine sees no CUDA GPU"):
        run_batch("dehaze", bgrn_files, tmp_path, workers=1, device="cuda")
    assert not (tmp_path / "tiles").exists()


def test_worker_config_sets_malloc_drops_the_profiler_slows_watchdogs():
    import dask

    from paii_core.batch.cluster import worker_config

    cfg = worker_config()
    environ = cfg["distributed.nanny.pre-spawn-environ"]
    assert environ["MALLOC_TRIM_THRESHOLD_"] == str(256 << 20)  # dask: 65536
    assert environ["MALLOC_MMAP_THRESHOLD_"] == str(32 << 20)
    assert environ["GDAL_CACHEMAX"] == "64"  # GDAL: 5 % of the machine's memory
    assert dask.config.get("distributed.nanny.pre-spawn-environ")["MALLOC_TRIM_THRESHOLD_"] == 65536
    assert environ["OMP_NUM_THREADS"] == 1  # dask's other defaults stay
    assert cfg["distributed.worker.profile.enabled"] is False
    assert cfg["distributed.admin.tick.interval"] == "1s"  # dask: 20 ms
    assert cfg["distributed.worker.memory.monitor-interval"] == "500ms"  # dask: 100 ms


def test_inputs_folder_is_explained(tmp_path):
    """A folder given as --inputs was reported as 'no such file; check the path'."""
    from paii_core.batch.spec import check_inputs

    with pytest.raises(ValidationError, match=r"--inputs .*: is a folder, not a file\. Fix: "
                       r"pass its rasters, e\.g\. --inputs .*\*\.tif"):  # fmt: skip
        check_inputs([tmp_path])
    with pytest.raises(InputNotFoundError, match=r"nope\.tif: no such file; check the path"):
        check_inputs([tmp_path / "nope.tif"])
