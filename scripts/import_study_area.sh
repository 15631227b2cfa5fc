#!/usr/bin/env bash
# Load the real study area (Oldham, Wigan, Wirral) from the open data kit into the configured database.
#
# A worked example for a council officer: each step is one importer command, run exactly as you would
# run it for your own council's files. The database is the one WEBMAP_DATABASE_URL names (default: a
# SQLite file under instance/). Run it on a database without the fictional sample area.
#
#   scripts/import_study_area.sh [DATA_DIR]      # DATA_DIR defaults to ../shared/data
set -euo pipefail

cd "$(dirname "$0")/.."
DATA="${1:-${WEBMAP_SHARED_DATA:-../shared/data}}"
FLASK="${FLASK:-.venv/bin/flask} --app webmap"

if [ ! -d "$DATA" ]; then
    echo "No open data kit at $DATA; give its folder as the first argument." >&2
    exit 1
fi

# Attribution lines from the kit's SOURCES.md, section 1; they appear on the "About the data" page.
OGL="Contains public sector information licensed under the Open Government Licence v3.0."
ONS="Source: Office for National Statistics licensed under the Open Government Licence v3.0."
OS="Contains OS data © Crown copyright and database right 2013–2025."
ROYAL_MAIL="Contains Royal Mail data © Royal Mail copyright and database right 2025."
NATSTATS="Contains National Statistics data © Crown copyright and database right 2025."
IMD="English Indices of Deprivation 2019 © Ministry of Housing, Communities and Local Government (OGL v3.0)."
ASSETS="$OGL Uses information from the Care Quality Commission. Contains information from NHS England / NHS Digital (ODS) and NHSBSA, licensed under the OGL v3.0. School data: Department for Education, Get Information about Schools (OGL v3.0). Library data: Arts Council England / DCMS public libraries basic dataset (OGL v3.0). Greater Manchester datasets republished by Trafford Data Lab (trafforddatalab.io) under the OGL v3.0."

set -x
# 1. Tables and the category taxonomy (safe to run again).
$FLASK init-db

# 2. Ward boundaries: 67 wards with ONS codes (ward_code/ward_name columns are found automatically).
$FLASK import-wards "$DATA/boundaries/wards/study_area_wards.geojson" --attribution "$ONS $OS" \
    --source-name "Ward boundaries (May 2023; Wirral December 2013)" --publisher "Office for National Statistics" \
    --licence "Open Government Licence v3.0" --source-date 2023-05

# 3. Postcodes (OS Code-Point Open): lets residents search by postcode and places assets listed by postcode.
$FLASK import-postcodes "$DATA/postcodes/codepoint_open_2025-10_study_area.csv" --attribution "$OGL $OS $ROYAL_MAIL $NATSTATS" \
    --source-name "Code-Point Open postcodes" --publisher "Ordnance Survey" --licence "Open Government Licence v3.0" \
    --source-date 2025-10

# 4. Population: Census 2021 by LSOA, summed to wards through the best-fit lookup (2021 LSOAs only) ...
$FLASK import-population "$DATA/population/census2021_lsoa21_usual_residents_by_age_ew.csv.gz" \
    --lookup "$DATA/lookups/lsoa_to_ward_best_fit_study_area.csv" --lsoa-vintage 2021 --attribution "$ONS" \
    --source-name "Census 2021 usual residents by small area (LSOA)" --publisher "Office for National Statistics" \
    --licence "Open Government Licence v3.0" --source-date 2022-06 \
    --areas "$DATA/boundaries/lsoa/gm_lsoa2021_bgc.geojson" \
    --areas "$DATA/boundaries/lsoa/wirral_lsoa2011_bgc.geojson" \
    --areas "$DATA/boundaries/lsoa/wirral_lsoa2021_new_codes.geojson"
# (--areas places each LSOA's residents at a point inside it, so "share within walking distance"
#  uses where people live rather than spreading each ward's population evenly. Wirral's 2021
#  LSOAs are its 2011 ones plus six new codes.)
# ... and a ward-level table, which also brings each ward's deprivation decile (IMD 2019).
$FLASK import-population "$DATA/population/ward_population_deprivation_study_area.csv" --attribution "$ONS $IMD" \
    --source-name "Ward population and deprivation (IMD 2019 deciles)" \
    --publisher "Office for National Statistics; Ministry of Housing, Communities and Local Government" \
    --licence "Open Government Licence v3.0" --source-date 2019

# 5. Community assets, with the file's category values mapped to our taxonomy.
$FLASK import-assets "$DATA/assets/study_area/community_assets_study_area.geojson" \
    --category-map data/category_maps/study_area.csv --source study_area --attribution "$ASSETS" \
    --source-name "Community assets: GP practices, schools, libraries and more" \
    --publisher "NHS England, Department for Education, Arts Council England, CQC; Trafford Data Lab" \
    --licence "Open Government Licence v3.0" --source-date 2025
