"""Tests of paii_core.io.boundaries, the GCJ-02 shift and scripts/import_boundaries.py."""

from __future__ import annotations

import importlib.util

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from numpy.testing import assert_allclose
from shapely.geometry import Polygon, box

from paii_core.config import REPO_ROOT
from paii_core.demo.regions import DEMO_REGIONS
from paii_core.errors import FormatError, InputNotFoundError, ValidationError
from paii_core.io import gcj02_to_wgs84, read_boundaries, wgs84_to_gcj02

# Earth radius used only to express the offsets in metres for the test.
_M_PER_DEG = 111_195.0


def test_gcj02_round_trip_well_within_1e6_deg():
    lon, lat = np.meshgrid(np.linspace(73.5, 134.5, 40), np.linspace(18.5, 53.0, 40))
    g_lon, g_lat = wgs84_to_gcj02(lon, lat)
    back_lon, back_lat = gcj02_to_wgs84(g_lon, g_lat)
    assert back_lon.shape == lon.shape
    assert np.abs(back_lon - lon).max() < 1e-7
    assert np.abs(back_lat - lat).max() < 1e-7


def test_gcj02_offset_magnitude_in_eastern_china():
    lon, lat = np.meshgrid(np.linspace(110.5, 116.5, 12), np.linspace(29.0, 36.4, 12))
    g_lon, g_lat = wgs84_to_gcj02(lon, lat)
    metres = np.hypot((g_lon - lon) * np.cos(np.deg2rad(lat)), g_lat - lat) * _M_PER_DEG
    assert 100 < metres.min() and metres.max() < 700


def test_gcj02_known_point_and_outside_china():
    # Wuhan: GCJ-02 is about 520 m east and 270 m south of WGS84 here.
    g_lon, g_lat = wgs84_to_gcj02(114.3, 30.6)
    assert_allclose([g_lon - 114.3, g_lat - 30.6], [0.005438, -0.002416], atol=2e-6)
    assert wgs84_to_gcj02([-93.5], [42.0]) == ([-93.5], [42.0])
    assert gcj02_to_wgs84(-93.5, 42.0) == (-93.5, 42.0)


def test_gcj02_shape_mismatch():
    with pytest.raises(ValidationError, match="lon and lat should have the same shape"):
        gcj02_to_wgs84([1.0, 2.0], [1.0])


def _counties(ids, column="GEOID", crs="EPSG:4326", **extra) -> gpd.GeoDataFrame:
    geoms = [box(i, 40, i + 0.5, 40.5) for i in range(len(ids))]
    return gpd.GeoDataFrame({column: ids, **extra}, geometry=geoms, crs=crs)


def test_fips_padded_and_columns_kept(tmp_path):
    path = tmp_path / "us.geojson"
    _counties([1001, 19169], NAME=["Autauga", "Story"], aland=[1, 2]).to_file(path)
    gdf = read_boundaries(path)
    assert gdf["county_id"].tolist() == ["01001", "19169"]
    assert gdf["name"].tolist() == ["Autauga", "Story"]
    assert list(gdf.columns) == ["county_id", "name", "GEOID", "NAME", "aland", "geometry"]
    assert gdf.crs.to_epsg() == 4326


def test_adcode_and_projected_input(tmp_path):
    src = _counties(["410526"], "adcode", name=["滑县"]).to_crs("EPSG:32650")
    path = tmp_path / "cn.gpkg"
    src.to_file(path)
    gdf = read_boundaries(path)
    assert gdf["county_id"].tolist() == ["410526"] and gdf["name"].tolist() == ["滑县"]
    assert_allclose(gdf.total_bounds, [0, 40, 0.5, 40.5], atol=1e-6)


def test_gcj02_source_converted(tmp_path):
    ring = [(114.3, 30.6), (114.4, 30.6), (114.4, 30.7), (114.3, 30.6)]
    path = tmp_path / "gcj.geojson"
    gpd.GeoDataFrame({"adcode": ["420102"]}, geometry=[Polygon(ring)], crs=4326).to_file(path)
    gdf = read_boundaries(path, source_crs="GCJ-02")
    got = shapely.get_coordinates(gdf.geometry)
    lon, lat = gcj02_to_wgs84([p[0] for p in ring], [p[1] for p in ring])
    assert_allclose(got, np.column_stack([lon, lat]), atol=1e-12)
    assert gdf["name"].tolist() == ["420102"]  # no name column: the id stands in


def test_shapefile_without_prj(tmp_path):
    path = tmp_path / "counties.shp"
    _counties(["19169"]).to_file(path)
    path.with_suffix(".prj").unlink()
    with pytest.raises(FormatError, match=r"counties\.shp: has no CRS .*Fix: add the \.prj"):
        read_boundaries(path)
    assert read_boundaries(path, source_crs="EPSG:4326")["county_id"].tolist() == ["19169"]


def test_geodataframe_without_crs():
    gdf = _counties(["19169"], crs=None)
    with pytest.raises(FormatError, match="has no CRS"):
        read_boundaries(gdf)
    assert read_boundaries(gdf, source_crs="EPSG:4326").crs.to_epsg() == 4326


@pytest.mark.parametrize(
    ("column", "ids", "names", "name_column"),
    [
        ("NUTS_ID", ["SI031", "SI032", "DE40A"], ["Pomurska", "Podravska", "Uckermark"],
         "NAME_LATN"),
        ("ADM2_PCODE", ["NG001001", "NG001002"], ["Aba North", "Aba South"], "ADM2_EN"),
        ("GID_2", ["NGA.1.1_1", "NGA.1.2_1"], ["Aba North", "Aba South"], "NAME_2"),
        ("CD_MUN", [5300108, 1100015], ["Brasília", "Alta Floresta d'Oeste"], "name"),
    ],
)  # fmt: skip
def test_other_countries_codes_are_kept_as_written(column, ids, names, name_column):
    """Eurostat NUTS, OCHA P-codes, GADM ids and 7-digit IBGE municipality codes: a
    user's own regions, not only US FIPS and Chinese adcodes."""
    gdf = _counties(ids, column, **{name_column: names})
    kwargs = {"id_column": column} if column == "CD_MUN" else {}  # found by name otherwise
    got = read_boundaries(gdf, **kwargs)
    assert got["county_id"].tolist() == [str(i) for i in ids]
    assert got["name"].tolist() == names


@pytest.mark.parametrize(
    ("gdf", "kwargs", "match"),
    [
        (_counties(["19169"], "code"), {}, "no county id column among county_id, geoid"),
        (_counties(["19169"]), {"id_column": "fips5"}, "id_column 'fips5' is not a column"),
        (_counties(["19169", "19169"]), {}, "id column 'GEOID' repeats '19169'"),
        (_counties(["19 169"]), {}, "id column 'GEOID' has '19 169' in row 0, not a county code"),
        (_counties(["SI061", "SI/62"], "NUTS_ID"), {}, "'NUTS_ID' has 'SI/62' in row 1"),
        (_counties(["19169", None]), {}, "id column 'GEOID' is empty in row 1"),
        (_counties([]), {}, "has no features"),
    ],
)
def test_rejections(gdf, kwargs, match):
    with pytest.raises(FormatError, match=match):
        read_boundaries(gdf, **kwargs)


def test_bad_source_crs_missing_and_unreadable(tmp_path):
    with pytest.raises(ValidationError, match="source_crs 'EPSG:0' is not a CRS"):
        read_boundaries(_counties(["19169"]), source_crs="EPSG:0")
    with pytest.raises(InputNotFoundError, match="boundary file not found"):
        read_boundaries(tmp_path / "none.geojson")
    junk = tmp_path / "junk.geojson"
    junk.write_text("{not json")
    with pytest.raises(FormatError, match=r"junk\.geojson: cannot be read as a vector file"):
        read_boundaries(junk)


def test_shipped_boundaries():
    counts = {"henan": 157, "hubei": 103, "iowa": 99}
    for region in DEMO_REGIONS.values():
        gdf = read_boundaries(REPO_ROOT / "data" / "boundaries" / region.boundary_file)
        assert len(gdf) == counts[region.region_id]
        assert gdf.crs.to_epsg() == 4326 and gdf.is_valid.all()
        width = 6 if region.country == "CN" else 5
        assert (gdf["county_id"].str.len() == width).all()
        assert {a.county_id for a in region.aois} <= set(gdf["county_id"])


def _load_script():
    spec = importlib.util.spec_from_file_location(
        "import_boundaries", REPO_ROOT / "scripts" / "import_boundaries.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_import_script_on_tiny_sources(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    ring = Polygon([(114.3, 30.6), (114.4, 30.6), (114.4, 30.7)])
    cn = gpd.GeoDataFrame(
        {"adcode": ["420102", "410526", "110101"], "province": ["湖北省", "河南省", "北京市"],
         "city": ["武汉市", "安阳市", "北京市"], "name": ["江岸区", "滑县", "东城区"]},
        geometry=[ring] * 3, crs=4326,
    )  # fmt: skip
    cn.to_file(src / "cn_counties_gcj02.geojson")
    us = gpd.GeoDataFrame(
        {"geoid": ["19169", "01001"], "statefp": ["19", "01"], "countyfp": ["169", "001"],
         "name": ["Story", "Autauga"], "state": ["Iowa", "Alabama"], "aland_m2": [1, 2],
         "awater_m2": [0, 0]},
        geometry=[box(-93.7, 41.9, -93.2, 42.2)] * 2, crs=4326,
    )  # fmt: skip
    us.to_file(src / "us_counties.geojson")
    out = tmp_path / "out"
    assert _load_script().main(["--source", str(src), "--out", str(out)]) == 0
    hubei = gpd.read_file(out / "hubei_counties.geojson")
    assert list(hubei.columns) == ["county_id", "name", "province", "city", "geometry"]
    lon, lat = gcj02_to_wgs84(114.4, 30.7)
    assert [round(float(lon), 6), round(float(lat), 6)] in shapely.get_coordinates(
        hubei.geometry
    ).tolist()
    iowa = pd.DataFrame(gpd.read_file(out / "iowa_counties.geojson").drop(columns="geometry"))
    assert iowa.to_dict("records") == [{"county_id": "19169", "name": "Story", "state": "Iowa"}]
    assert sorted(p.name for p in out.iterdir()) == [
        "henan_counties.geojson", "hubei_counties.geojson", "iowa_counties.geojson",
    ]  # fmt: skip


def test_geoparquet_read_and_unreadable(tmp_path):
    path = tmp_path / "c.parquet"
    _counties(["19169"]).to_parquet(path)
    gdf = read_boundaries(path)
    assert list(gdf["county_id"]) == ["19169"] and gdf.crs.to_epsg() == 4326
    junk = tmp_path / "junk.parquet"
    junk.write_bytes(b"PAR1 not really")
    with pytest.raises(FormatError, match=r"junk\.parquet: cannot be read .*GeoParquet"):
        read_boundaries(junk)


def test_shipped_all_counties():
    sizes = {"us_counties_all.parquet": 3233, "cn_counties_all.parquet": 2875}
    for name, count in sizes.items():
        path = REPO_ROOT / "data" / "boundaries" / name
        assert path.stat().st_size < 8_000_000
        gdf = read_boundaries(path)
        assert len(gdf) == count and gdf["county_id"].is_unique
    cn = read_boundaries(REPO_ROOT / "data" / "boundaries" / "cn_counties_all.parquet")
    hubei = read_boundaries(REPO_ROOT / "data" / "boundaries" / "hubei_counties.geojson")
    # Same WGS84 conversion as the per-province file (which keeps 6 decimals, this 5).
    a = cn.set_index("county_id").loc[hubei["county_id"]].geometry.values
    assert shapely.hausdorff_distance(a, hubei.geometry.values).max() < 2e-5


def test_import_script_all(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    ring = Polygon([(114.3, 30.6), (114.4, 30.6), (114.4, 30.7)])
    gpd.GeoDataFrame(
        {"adcode": ["420102", "110101"], "province": ["湖北省", "北京市"],
         "city": ["武汉市", "北京市"], "name": ["江岸区", "东城区"]},
        geometry=[ring] * 2, crs=4326,
    ).to_file(src / "cn_counties_gcj02.geojson")  # fmt: skip
    gpd.GeoDataFrame(
        {"geoid": ["19169", "01001"], "statefp": ["19", "01"], "name": ["Story", "Autauga"],
         "state": ["Iowa", "Alabama"]},
        geometry=[box(-93.7, 41.9, -93.2, 42.2)] * 2, crs=4326,
    ).to_file(src / "us_counties.geojson")  # fmt: skip
    out = tmp_path / "out"
    # Henan has no county in these sources: the per-province step refuses, naming it.
    with pytest.raises(SystemExit, match="no counties of 河南省"):
        _load_script().main(["--source", str(src), "--out", str(out), "--all"])
    module = _load_script()
    written = module.import_all(src, out)
    assert sorted(p.name for p in written) == ["cn_counties_all.parquet", "us_counties_all.parquet"]
    cn = read_boundaries(out / "cn_counties_all.parquet")
    assert list(cn["county_id"]) == ["110101", "420102"]
    lon, lat = gcj02_to_wgs84(114.4, 30.7)
    assert [round(float(lon), 5), round(float(lat), 5)] in shapely.get_coordinates(
        cn.geometry
    ).tolist()
    us = read_boundaries(out / "us_counties_all.parquet")
    assert list(us.columns) == ["county_id", "name", "state", "geometry"]
    assert list(us["county_id"]) == ["01001", "19169"]


def test_degrees_labelled_as_utm_refused(tmp_path):
    """Longitude/latitude in a file that declares UTM metres (a real QA file: Kansas
    counties labelled EPSG:32615) used to be read as 9 specks off Ecuador."""
    path = tmp_path / "ks_wrong_crs.gpkg"
    _counties(["20121", "20091"]).set_crs("EPSG:32615", allow_override=True).to_file(path)
    with pytest.raises(
        FormatError,
        match=r"ks_wrong_crs\.gpkg: declares EPSG:32615 \(metres\) but its coordinates .* look "
        r"like longitude/latitude.*Fix: pass source_crs='EPSG:4326'",
    ):
        read_boundaries(path)
    fixed = read_boundaries(path, source_crs="EPSG:4326")
    assert fixed.total_bounds[1] == pytest.approx(40.0)


def test_metres_labelled_as_degrees_refused():
    utm = _counties(["20121"]).to_crs("EPSG:32615")
    wrong = utm.set_crs("EPSG:4326", allow_override=True)
    with pytest.raises(FormatError, match=r"declares EPSG:4326 \(degrees\) but .* beyond ±180°"):
        read_boundaries(wrong)
    assert read_boundaries(utm).total_bounds[1] == pytest.approx(40.0)


def test_a_csv_of_counties_is_refused_as_a_table_without_geometry(tmp_path, capsys):
    """`paii region add ... --counties counties.csv` (the real Iowa boundaries saved as a
    CSV with WKT, as a spreadsheet export gives them) ended in an AttributeError
    traceback ('DataFrame' object has no attribute 'crs')."""
    from paii_core.cli import main

    iowa = gpd.read_file(REPO_ROOT / "data/boundaries/iowa_counties.geojson").head(3)
    path = tmp_path / "iowa.csv"
    iowa.to_csv(path, index=False)
    with pytest.raises(FormatError, match=r"iowa\.csv: holds a table without geometry "
                       r"\(columns county_id, name, state, geometry\), not county polygons\. "
                       r"Fix: pass a GeoJSON.*ogr2ogr -f GeoJSON"):  # fmt: skip
        read_boundaries(path)
    args = ["region", "add", "ia", "--counties", str(path), "--country", "US"]
    assert main([*args, "--yield-unit", "bu/acre", "--db", str(tmp_path / "p.duckdb")]) == 2
    err = capsys.readouterr().err
    assert "iowa.csv: holds a table without geometry" in err and "Traceback" not in err


def test_a_zip_with_its_shapefile_in_a_folder_is_read_and_several_layers_refused(tmp_path):
    """The real Iowa boundaries as a zip whose shapefile sits in a folder (as boundary
    downloads often are) was 'not recognized as being in a supported file format'; a
    GeoPackage of two layers (or a zip of two shapefiles) was read from its first layer
    with pyogrio's 'Specify layer parameter' warning, an option `paii region add` has
    not."""
    import zipfile

    iowa = gpd.read_file(REPO_ROOT / "data/boundaries/iowa_counties.geojson")
    shp = tmp_path / "shp"
    shp.mkdir()
    iowa.head(3).to_file(shp / "counties.shp")
    nested = tmp_path / "iowa_counties.zip"
    with zipfile.ZipFile(nested, "w") as archive:
        for f in shp.iterdir():
            archive.write(f, f"tl_2020_19_county/{f.name}")
    assert list(read_boundaries(nested)["county_id"]) == list(iowa.head(3)["county_id"])
    two = tmp_path / "two.gpkg"
    iowa.head(3).to_file(two, layer="counties")
    iowa.tail(3).to_file(two, layer="states")
    with pytest.raises(FormatError, match=r"two\.gpkg: holds 2 layers \(counties, states\); "
                       r"which one holds the counties is not guessed\. Fix: pass a file of "
                       r"that layer alone: `ogr2ogr -f GPKG counties\.gpkg two\.gpkg "
                       r"LAYER`"):  # fmt: skip
        read_boundaries(two)


def test_a_wrong_source_crs_is_named_as_the_option_not_the_file(tmp_path, capsys):
    """`paii region add --source-crs EPSG:4326` on counties in UTM said the file "declares
    EPSG:4326" (the option set it; the file declares EPSG:32615), the fix read "--source-crs
    the coordinates'" with two spaces, and a taken id "--replace (replace=True)"."""
    from paii_core.cli import main

    path = tmp_path / "ks_utm.gpkg"
    _counties(["20121", "20091"]).to_crs("EPSG:32615").to_file(path)
    with pytest.raises(FormatError) as e:
        read_boundaries(path, source_crs="EPSG:4326")
    assert str(e.value).startswith(
        f"{path}: was read as EPSG:4326 (degrees), as source_crs='EPSG:4326' asks (the file "
        "declares EPSG:32615), but its coordinates"
    )
    assert "Fix: leave source_crs out to read it as the EPSG:32615 it declares, or" in str(e.value)
    db = ["--db", str(tmp_path / "p.duckdb"), "--country", "US", "--yield-unit", "bu/acre"]
    assert (
        main(["region", "add", "ks", "--counties", str(path), "--source-crs", "EPSG:4326", *db])
        == 2
    )
    err = capsys.readouterr().err
    assert "as --source-crs 'EPSG:4326' asks (the file declares EPSG:32615)" in err
    assert "  " not in err.strip() and "declares EPSG:4326" not in err
    assert main(["region", "add", "ks", "--counties", str(path), *db]) == 0
    assert main(["region", "add", "ks", "--counties", str(path), *db]) == 2
    err = capsys.readouterr().err
    assert err.rstrip().endswith("replace it with --replace"), err


def test_a_folder_of_counties_is_called_a_folder_with_its_files(tmp_path):
    """`--counties FOLDER` was read by GDAL as its shapefiles: "has no CRS" for a folder
    whose shapefile had no .prj."""
    folder = tmp_path / "shp"
    folder.mkdir()
    _counties(["20121"]).to_file(folder / "ks.shp")
    (folder / "ks.prj").unlink()
    with pytest.raises(FormatError) as e:
        read_boundaries(folder)
    assert str(e.value) == (
        f"{folder}: is a folder, not a boundary file (1 vector file in it: ks.shp). Fix: pass "
        "a GeoJSON, shapefile (.shp with .shx, .dbf, .prj), GeoPackage or GeoParquet file "
        f"itself, e.g. {folder / 'ks.shp'}"
    )
    with pytest.raises(FormatError, match=r"is a folder, not a boundary file \(0 vector files"):
        read_boundaries(tmp_path / "shp" / ".." / "shp" / "..")
