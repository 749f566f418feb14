"""bench.imagery.archives reads the same band from each form and times each."""

from bench.imagery import archives


def test_three_forms_read_the_same_pixels_and_are_timed(tmp_path):
    out = tmp_path / "archives.json"
    result = archives.main(["--size", "600", "--window", "200", "--json", str(out)])
    assert [r["form"] for r in result["rows"]] == ["unzipped", "stored zip", "deflated zip"]
    assert all(r["window_s"] > 0 and r["band_s"] > 0 for r in result["rows"])
    assert out.exists()
