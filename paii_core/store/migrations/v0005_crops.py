"""Migration 5: crop label sets, their point labels, and cached crop products per area."""

VERSION = 5
NAME = "crop labels and crop products"
STATEMENTS: tuple[str, ...] = (
    """CREATE TABLE crop_label_sets (
        label_set_id TEXT PRIMARY KEY, aoi_id TEXT NOT NULL, who TEXT NOT NULL,
        created_at TIMESTAMP NOT NULL, note TEXT, n_labels INTEGER NOT NULL,
        simulated BOOLEAN NOT NULL)""",
    """CREATE TABLE crop_labels (
        label_set_id TEXT NOT NULL, "row" INTEGER NOT NULL, col INTEGER NOT NULL,
        crop TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (label_set_id, seq))""",
    """CREATE TABLE crop_products (
        aoi_id TEXT NOT NULL, kind TEXT NOT NULL, input_hash TEXT NOT NULL,
        model_version TEXT NOT NULL, label_set_id TEXT NOT NULL DEFAULT '',
        path TEXT NOT NULL, details TEXT, simulated BOOLEAN NOT NULL,
        created_at TIMESTAMP NOT NULL,
        PRIMARY KEY (aoi_id, kind, input_hash, model_version, label_set_id))""",
)
