"""Derive the matcher's table of Danish postcode points from ../shared/data/geo/.

    python scripts/derive_postcodes.py [--source ../shared/data/geo/dk_postnumre_centroids.csv]

Writes services/matcher/data/postcodes_dk.csv (`postcode,lat,lon`), used for the commute when a
citizen's home coordinates are missing. The source (see its SOURCE.md: DAWA's label point of each
postcode area via countries-states-cities-database, ODbL-1.0) has some coastal points out at sea;
a point outside Denmark's land bounding box is dropped (that postcode then has no point, and its
citizens' commutes stay unknown rather than wrong), and so is any postcode in `AT_SEA`, reviewed
by hand. Credit: NOTICE.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT.parent / "shared" / "data" / "geo" / "dk_postnumre_centroids.csv"
OUT = ROOT / "services" / "matcher" / "data" / "postcodes_dk.csv"
SHA256 = "efab911f99d6dfefd0f67da48384e745382bf5651efc1ebca1b663923ba21059"
#: Denmark's land, Bornholm and Skagen included: (south, north, west, east).
LAND = (54.55, 57.76, 8.07, 15.20)
#: Points inside the box but reviewed as lying at sea (none found beyond the box so far).
AT_SEA: frozenset[str] = frozenset()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=SOURCE)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    raw = args.source.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != SHA256:
        raise SystemExit(f"{args.source}: sha256 {digest} is not the reviewed {SHA256}")
    kept: list[tuple[str, float, float]] = []
    dropped: list[str] = []
    for row in csv.DictReader(raw.decode("utf-8").splitlines()):
        code, lat, lon = row["postnr"], float(row["latitude"]), float(row["longitude"])
        south, north, west, east = LAND
        if code in AT_SEA or not (south <= lat <= north and west <= lon <= east):
            dropped.append(f"{code} {row['navn']} ({lat:.3f}, {lon:.3f})")
            continue
        kept.append((code, round(lat, 5), round(lon, 5)))
    with args.out.open("w", encoding="utf-8", newline="") as fh:
        fh.write("# Derived by scripts/derive_postcodes.py from DAWA postcode points via "
                 "countries-states-cities-database (ODbL-1.0); see NOTICE.\n")
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["postcode", "lat", "lon"])
        w.writerows(sorted(kept))
    print(f"{len(kept)} postcodes written to {args.out}; {len(dropped)} dropped as at sea:")
    for d in dropped:
        print("  " + d)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
