#!/usr/bin/env python3
"""The DuckDB peer of the benchmark: the same daily and weekly distinct-uploader counts.

Usage: bench/duckdb_peer.py DATA (upload|merged)

Reads each file with read_text (upload layout) or as gzipped lines (merged layout), parses
with json_transform, explodes each report once into (day, X, program, key) rows, and counts
distinct X per day and per 7-day window (each row fans out to the 7 windows that contain
its day: no window is re-scanned). Prints the number of result rows.
"""
import sys

import duckdb

SCHEMA = ('{"Week":"VARCHAR","X":"DOUBLE","Programs":[{"Program":"VARCHAR","Version":"VARCHAR",'
          '"GoVersion":"VARCHAR","GOOS":"VARCHAR","GOARCH":"VARCHAR","Counters":"MAP(VARCHAR, BIGINT)"}]}')


def main():
    data, layout = sys.argv[1], sys.argv[2]
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")
    if layout == "upload":
        # read_text refuses a whole query on one invalid UTF-8 file: read bytes, decode each.
        source = f"SELECT try(decode(content)) AS line FROM read_blob('{data}/*/*.json')"
    else:
        source = (f"SELECT line FROM read_csv('{data}/*.json.gz', columns={{'line': 'VARCHAR'}}, "
                  "delim=chr(1), quote='', escape='', header=false, compression='gzip', "
                  "ignore_errors=true, strict_mode=false, max_line_size=20000000)")
    con.execute(f"""
        CREATE TEMP TABLE reports AS
        SELECT r.Week AS week, r.X AS x, r.Programs AS programs
        FROM (SELECT json_transform(line, '{SCHEMA}') AS r FROM ({source}) WHERE line IS NOT NULL AND json_valid(line))
        WHERE r.X > 0 AND r.X < 1 AND TRY_CAST(r.Week AS DATE) IS NOT NULL
    """)
    con.execute("""
        CREATE TEMP TABLE facts AS
        WITH p AS (SELECT CAST(week AS DATE) AS day, x, unnest(programs) AS p FROM reports)
        SELECT day, x, p.Program AS program, 'GOOS:' || p.GOOS AS key FROM p
        UNION ALL SELECT day, x, p.Program, 'GOARCH:' || p.GOARCH FROM p
        UNION ALL SELECT day, x, p.Program, 'Version:' || p.Version FROM p
        UNION ALL SELECT day, x, p.Program, 'GoVersion:' || p.GoVersion FROM p
        UNION ALL SELECT day, x, p.Program, unnest(map_keys(p.Counters)) FROM p
    """)
    daily = con.execute(
        "SELECT count(*) FROM (SELECT day, program, key, count(DISTINCT x) FROM facts GROUP BY ALL)").fetchone()[0]
    weekly = con.execute("""
        SELECT count(*) FROM (
            SELECT day + CAST(k AS INTEGER) AS window_end, program, key, count(DISTINCT x)
            FROM facts, range(7) t(k) GROUP BY ALL)""").fetchone()[0]
    print(f"{daily} daily and {weekly} weekly (program, key) counts")


if __name__ == "__main__":
    main()
