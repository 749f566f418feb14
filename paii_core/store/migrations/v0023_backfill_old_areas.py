"""Migration 23: areas and regions carried over from before migration 7 get their facts back.

Migration 7 copied a version-6 store's ``aois`` and ``regions`` rows without what an area
now records (sensors, dates, folder, flood, provenance): the sidebar then listed a demo area
as "0 dates", pages found no flood event, and, worse, the rows said ``simulated = false``
although every product behind them is simulated, so ``paii demo build`` took them for a
user's own data. Those carried-over rows are the ones with no ``created_at``; their facts
are rebuilt here from the ``products`` rows registered for them, the same facts ``paii
area add`` derives from the files. Crops come from the area's policies where it has any.
"""

VERSION = 23
NAME = "backfill areas and regions carried over from version 6"
_FACTS = """
    SELECT aoi_id,
        bool_and(simulated) AS simulated,
        list_sort(list_distinct(list_filter(list(CASE
            WHEN kind IN ('s2_l2a', 's2_l1c') THEN 'S2' WHEN kind = 's1_grd' THEN 'S1'
            WHEN kind = 'dem' THEN 'DEM' END), s -> s IS NOT NULL))) AS sensors,
        min(acquired) FILTER (WHERE kind IN ('s2_l2a', 's2_l1c', 's1_grd')) AS first_date,
        max(acquired) FILTER (WHERE kind IN ('s2_l2a', 's2_l1c', 's1_grd')) AS last_date,
        count(DISTINCT acquired) FILTER (WHERE kind IN ('s2_l2a', 's2_l1c')) AS n_dates,
        bool_or(kind = 's1_grd' AND details LIKE '%"flood_event": true%') AS has_flood,
        min(regexp_replace(path, '/[^/]+/[^/]+$', ''))
            FILTER (WHERE kind IN ('s2_l2a', 's2_l1c')) AS folder
    FROM products WHERE aoi_id IS NOT NULL GROUP BY aoi_id
"""
STATEMENTS: tuple[str, ...] = (
    f"""UPDATE areas SET simulated = f.simulated, sensors = f.sensors,
            first_date = f.first_date, last_date = f.last_date, n_dates = f.n_dates,
            has_flood = coalesce(f.has_flood, false), folder = coalesce(f.folder, '')
        FROM ({_FACTS}) AS f
        WHERE areas.aoi_id = f.aoi_id AND areas.created_at IS NULL""",
    """UPDATE areas SET crops = c.crops
        FROM (SELECT aoi_id, list_sort(list_distinct(list(declared_crop))) AS crops
              FROM policies WHERE aoi_id IS NOT NULL GROUP BY aoi_id) AS c
        WHERE areas.aoi_id = c.aoi_id AND areas.created_at IS NULL AND len(areas.crops) = 0""",
    """UPDATE regions SET simulated = true
        WHERE created_at IS NULL AND region_id IN (
            SELECT a.region_id FROM areas AS a JOIN products AS p USING (aoi_id)
            GROUP BY a.region_id HAVING bool_and(p.simulated))""",
)
