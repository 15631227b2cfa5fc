#!/usr/bin/env python
"""Generate the FICTIONAL sample area "Asterby Vale (fictional)" that `make run` loads.

Everything written here is invented: wards, codes, postcodes, assets, phone numbers and
needs. Nothing describes a real place. The output is deterministic: running the script
twice gives byte-identical files.

    python scripts/make_sample_area.py            # writes into the repo's data/
    python scripts/make_sample_area.py --out DIR  # writes the same tree under DIR
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from shapely.geometry import Point, Polygon, mapping

REPO = Path(__file__).resolve().parents[1]
SEED = 20240601
LAD_CODE, LAD_NAME = "E08900001", "Asterby Vale (fictional)"
WARD_NOTE, ASSET_NOTE = "Fictional sample area for demonstration", "Fictional"
CENTRE = (395000.0, 225000.0)  # EPSG:27700; the borough spans about 10 km x 8 km

# The pipeline is pinned (OSGB36 -> WGS 84 Helmert, ~2 m) so output does not change when
# PROJ's OSTN15 grid happens to be installed: the files must be byte-identical everywhere.
TO_4326 = Transformer.from_pipeline(
    "+proj=pipeline +step +inv +proj=tmerc +lat_0=49 +lon_0=-2 +k=0.9996012717 "
    "+x_0=400000 +y_0=-100000 +ellps=airy +step +proj=push +v_3 +step +proj=cart "
    "+ellps=airy +step +proj=helmert +x=446.448 +y=-125.157 +z=542.06 +rx=0.15 "
    "+ry=0.247 +rz=0.842 +s=-20.489 +convention=position_vector +step +inv +proj=cart "
    "+ellps=WGS84 +step +proj=pop +v_3 +step +proj=unitconvert +xy_in=rad +xy_out=deg"
)

# A few wards and places have a Welsh name too (ward_name_welsh, name_cy), so the sample shows
# bilingual data: the map in Welsh names them in Welsh, and either name finds them.
WARD_NAMES_CY = {"Millbrook": "Nant-y-felin", "Kingsmead": "Dôl y Brenin", "Oakfield": "Maes-y-dderwen"}
ASSET_NAMES_CY = {
    "sample-0003": "Pantri Cymunedol Westcombe",
    "sample-0006": "Capel y Bedyddwyr Foundry Lane",
    "sample-0246": "Llyfrgell Nant-y-felin",
    "sample-0266": "Llyfrgell Dôl y Brenin",
}

# Ward names in code order (north to south), with an IMD decile each (1 = most deprived).
WARDS = [
    ("Northgate", 6),
    ("Larkhill", 8),
    ("Bishop's Wood", 10),
    ("Ashby Green", 7),
    ("Millbrook", 4),
    ("Foundry Lane", 2),
    ("St Anne's", 3),
    ("Kingsmead", 9),
    ("Hollins Cross", 1),
    ("Canal Side", 1),
    ("Thornley", 5),
    ("Westcombe", 9),
    ("Oakfield", 7),
    ("Fenwick Park", 5),
    ("Calder Rise", 2),
    ("Elmstead", 8),
]

# The story the gap map tells: these wards have NO asset of these categories, and their
# residents ask for exactly that (count, comment). Other gaps arise by chance.
STORY = {
    "Hollins Cross": {
        "food_support": (38, "Nearest food bank is two buses away"),
        "advice": (24, "Nowhere local to get help with benefits and debt"),
    },
    "Canal Side": {
        "youth": (35, "Nowhere for teenagers to go in the evening"),
        "digital_inclusion": (19, "Need help getting online to apply for jobs"),
    },
    "Foundry Lane": {
        "youth": (29, "The youth club shut and nothing replaced it"),
        "gp_practice": (27, "Can't get a GP appointment without going across town"),
    },
    "Calder Rise": {
        "food_support": (31, "Families skipping meals at the end of the month"),
        "childcare": (17, "No nursery places near the estate"),
    },
    "Kingsmead": {"older_people": (22, "Lunch club closed last year; lots of people on their own")},
    "St Anne's": {"green_space": (26, "No park within walking distance for families")},
    "Westcombe": {"sport": (12, "Nowhere to play five-a-side")},
}

# Assets per category: uneven on purpose (many shops, a few libraries).
ASSET_COUNTS = {
    "food_support": 14,
    "youth": 14,
    "older_people": 14,
    "health": 8,
    "gp_practice": 12,
    "pharmacy": 16,
    "dentist": 8,
    "care_home": 10,
    "advice": 12,
    "community_space": 20,
    "library": 5,
    "education": 22,
    "childcare": 14,
    "sport": 20,
    "green_space": 20,
    "arts_culture": 12,
    "faith": 18,
    "digital_inclusion": 8,
    "employment": 8,
    "local_business": 40,
    "public_service": 10,
}
# (kinds, name templates, one-sentence descriptions) per category.
TEXT = {
    "food_support": (
        ["group", "service"],
        [
            "{place} Community Pantry",
            "{place} Food Bank",
            "{place} Community Fridge",
            "{street} Soup Kitchen",
            "{place} Lunch & Larder",
        ],
        [
            "Free and low-cost food for anyone who needs it, no referral needed.",
            "Weekly food parcels and a warm meal, run by local volunteers.",
        ],
    ),
    "youth": (
        ["group", "venue"],
        [
            "{place} Youth Club",
            "{place} Scouts",
            "{street} Youth Project",
            "{place} Girls' Football Club",
            "St {saint}'s Youth Club",
        ],
        [
            "Evening sessions for 11 to 18 year olds with games, sport and a hot snack.",
            "Trips, music and a safe place to hang out for young people.",
        ],
    ),
    "older_people": (
        ["group", "service"],
        ["{place} Lunch Club", "{place} Over-60s Friendship Group", "{place} Day Centre", "Tea & Chat at {place}"],
        [
            "A friendly lunch and company for older people every week.",
            "Befriending, day trips and a warm welcome for older residents.",
        ],
    ),
    "health": (
        ["service", "venue"],
        ["{place} Health Centre", "{place} Wellbeing Hub", "{street} Clinic", "{place} Walk & Talk Group"],
        [
            "NHS clinics and wellbeing support in the heart of {place}.",
            "Gentle walks and a chat to help people feel better, all welcome.",
        ],
    ),
    "gp_practice": (
        ["service"],
        ["{place} Medical Practice", "{street} Surgery", "{place} Family Doctors"],
        [
            "A GP surgery taking new patients from {place} and nearby.",
            "Family doctors, practice nurses and a weekly baby clinic.",
        ],
    ),
    "pharmacy": (
        ["business"],
        ["{place} Pharmacy", "{street} Chemist", "{surname}'s Pharmacy"],
        [
            "A community pharmacy offering prescriptions, advice and flu jabs.",
            "Local chemist with a private consultation room.",
        ],
    ),
    "dentist": (
        ["business"],
        ["{place} Dental Practice", "{street} Dental Care", "Smile Studio {place}"],
        [
            "A dental practice offering NHS and private treatment.",
            "Family dentist; call to check if NHS places are open.",
        ],
    ),
    "care_home": (
        ["business", "service"],
        ["{tree} House Care Home", "{place} Nursing Home", "{tree} Lodge"],
        [
            "A residential care home with a garden and daily activities.",
            "Nursing and dementia care in a homely setting.",
        ],
    ),
    "advice": (
        ["service", "group"],
        [
            "{place} Advice Centre",
            "{place} Money & Debt Advice",
            "{place} Housing Advice Drop-in",
            "Citizens' Help {place}",
        ],
        [
            "Free, confidential advice on money, benefits and housing.",
            "Drop in for help with forms, debt and letters you don't understand.",
        ],
    ),
    "community_space": (
        ["venue"],
        ["{place} Community Centre", "{place} Village Hall", "{street} Community Rooms", "St {saint}'s Church Hall"],
        [
            "Rooms to hire for groups, parties and classes at low cost.",
            "A busy community centre with a hall, kitchen and meeting room.",
        ],
    ),
    "library": (
        ["venue", "service"],
        ["{place} Library", "{place} Library & Learning Centre"],
        [
            "A public library with free computers, books and children's story time.",
            "Borrow books, use the printers and join a reading group.",
        ],
    ),
    "education": (
        ["service", "venue"],
        [
            "{place} Primary School",
            "{place} Academy",
            "{place} Adult Learning Centre",
            "St {saint}'s C of E Primary School",
            "{place} Infant School",
        ],
        ["A local school serving families in {place}.", "Courses for adults in English, maths and computing."],
    ),
    "childcare": (
        ["business", "group", "service"],
        [
            "{place} Children's Centre",
            "Little Acorns Nursery {place}",
            "{place} Parent & Toddler Group",
            "{place} Childminders Network",
        ],
        [
            "Play, learning and support for under-fives and their parents.",
            "A friendly nursery with funded places for two to four year olds.",
        ],
    ),
    "sport": (
        ["group", "venue"],
        [
            "{place} Leisure Centre",
            "{place} FC",
            "{place} Cricket Club",
            "{place} Running Club",
            "{place} Bowls Club",
            "{place} Swimming Pool",
        ],
        ["Sport for all ages and abilities, beginners welcome.", "Pitches, a gym and classes at community prices."],
    ),
    "green_space": (
        ["venue", "group"],
        [
            "{place} Park",
            "{street} Allotments",
            "{place} Community Garden",
            "Friends of {place} Park",
            "{tree} Wood Nature Reserve",
        ],
        [
            "A green space with paths, a play area and benches.",
            "Volunteers growing food and looking after wildlife together.",
        ],
    ),
    "arts_culture": (
        ["venue", "group"],
        [
            "{place} Arts Centre",
            "{place} Heritage Society",
            "{place} Community Choir",
            "The {place} Playhouse",
            "{place} Arts & Crafts Collective",
        ],
        [
            "Shows, workshops and exhibitions by local people.",
            "Sing, make and share local history, no experience needed.",
        ],
    ),
    "faith": (
        ["venue", "group"],
        [
            "St {saint}'s Church",
            "{place} Methodist Church",
            "{place} Mosque",
            "{place} Gurdwara",
            "{place} Baptist Church",
            "{place} Quaker Meeting House",
            "{place} Synagogue",
        ],
        [
            "A place of worship that also hosts community groups in the week.",
            "A welcoming faith community with a hall open to local groups.",
        ],
    ),
    "digital_inclusion": (
        ["service", "group"],
        ["{place} Digital Help Café", "{place} Computer Club", "Get Online {place}"],
        [
            "Free help with phones, tablets and getting online.",
            "Borrow a laptop or get one-to-one help with the internet.",
        ],
    ),
    "employment": (
        ["service", "group"],
        ["{place} Job Club", "{place} Skills & Training Hub", "{place} Volunteer Centre", "{place} Jobcentre"],
        ["Help with CVs, job searches and interview practice.", "Training, volunteering and routes into work."],
    ),
    "local_business": (
        ["business"],
        [
            "{street} Café",
            "{place} Bakery",
            "{surname} & Sons Butchers",
            "{place} Greengrocer",
            "Café {firstname}",
            "{place} Convenience Store",
            "{surname}'s Hardware",
            "The {place} Deli",
            "{firstname}'s Crêperie",
        ],
        ["An independent local business serving {place}.", "A family-run shop at the centre of the neighbourhood."],
    ),
    "public_service": (
        ["service", "venue"],
        ["{place} Post Office", "{place} Fire Station", "{place} Council Neighbourhood Office"],
        ["A public service point for people in {place}.", "Counter services and information for local residents."],
    ),
}
# A second category that plausibly goes with the first (about 10% of assets get one).
SECOND = {
    "community_space": ["digital_inclusion", "older_people", "youth", "arts_culture"],
    "library": ["digital_inclusion", "community_space"],
    "faith": ["food_support", "community_space", "older_people"],
    "advice": ["employment", "digital_inclusion"],
    "health": ["older_people"],
    "sport": ["youth"],
    "education": ["childcare", "employment"],
    "youth": ["sport"],
    "older_people": ["health"],
}
SAINTS = ["Michael", "Mary", "Peter", "John", "Luke", "Aidan", "Hilda", "Chad"]
SURNAMES = ["Patel", "Okafor", "Nowak", "Hughes", "O'Brien", "Begum", "Evans", "Kowalski", "Müller"]
FIRSTNAMES = ["Zoë", "Siân", "Renée", "José", "Rosa", "Amira"]
TREES = ["Oak", "Beech", "Willow", "Rowan", "Hazel", "Cedar", "Linden"]
STREET_ROOTS = [
    "Station",
    "Church",
    "Mill",
    "Victoria",
    "Albert",
    "Chapel",
    "Park",
    "Queen's",
    "Bridge",
    "Canal",
    "Orchard",
    "Meadow",
    "Hawthorn",
    "Rectory",
    "Market",
    "School",
    "Well",
    "Brook",
    "Windmill",
    "Spring",
    "Castle",
    "Holly",
    "Ash",
    "Elm",
    "Tanner's",
    "Priory",
]
STREET_KINDS = ["Road", "Street", "Lane", "Avenue", "Close", "Way", "Terrace", "Grove", "Crescent"]
OPENING = {
    "business": ["Mon–Sat 8am–6pm", "Mon–Fri 9am–5:30pm, Sat 9am–1pm", "Daily 7am–10pm"],
    "group": ["Tuesdays 6pm–8pm", "Thursdays 10am–12 noon", "First Saturday of the month, 10am–1pm"],
    "venue": ["Mon–Fri 9am–9pm, weekends 10am–4pm", "Open dawn to dusk", "Varies, see website"],
    "service": ["Mon–Fri 9am–5pm", "Mon, Wed, Fri 10am–2pm (drop-in)", "By appointment"],
}
ACCESS = [
    "Step-free access and accessible toilet",
    "Hearing loop at reception",
    "Ground floor only; no lift",
    "Wheelchair accessible; large-print leaflets",
    "Steps at entrance; portable ramp on request",
    "Quiet room available on request",
    "",
    "",
    "",
]
# Stated needs: weight for how often residents ask for a category (0 = never asked for).
NEED_WEIGHT = {
    "food_support": 5,
    "youth": 6,
    "older_people": 4,
    "health": 3,
    "gp_practice": 5,
    "pharmacy": 1,
    "dentist": 5,
    "care_home": 0,
    "advice": 3,
    "community_space": 2,
    "library": 1,
    "education": 1,
    "childcare": 2,
    "sport": 2,
    "green_space": 4,
    "arts_culture": 1,
    "faith": 0,
    "digital_inclusion": 2,
    "employment": 3,
    "local_business": 1,
    "public_service": 0,
}
NEED_COMMENTS = {
    "food_support": ["People are struggling to afford the weekly shop", "A community pantry would help a lot"],
    "youth": ["Nowhere for teenagers to go in the evening", "More activities for kids in the holidays"],
    "older_people": ["My mum is lonely since the day centre closed", "Somewhere older people can meet for a cuppa"],
    "health": ["Long wait for mental health support", "A local clinic so we don't have to travel"],
    "gp_practice": ["Can never get through to the surgery", "Need a GP that is taking new patients"],
    "pharmacy": ["The chemist closes too early"],
    "dentist": ["No NHS dentist taking new patients", "Had to go private for a filling"],
    "advice": ["Help with benefit forms", "Someone to talk to about debt"],
    "community_space": ["A room groups can hire cheaply", "Our hall is too small"],
    "library": ["Bring back the mobile library"],
    "education": ["Evening classes for adults"],
    "childcare": ["Nursery places are too expensive", "A parent and toddler group nearby"],
    "sport": ["Affordable swimming lessons", "Floodlit pitch for winter training"],
    "green_space": ["Somewhere safe for children to play", "Allotments have a long waiting list"],
    "arts_culture": ["More for families to do at weekends"],
    "digital_inclusion": ["Help for older people using the internet"],
    "employment": ["Help getting back into work", "Apprenticeships for school leavers"],
    "local_business": ["We lost our corner shop"],
}
PC_LETTERS = list("ABDEFGHJLNPQRSTUWXYZ")  # UK inward letters never use C, I, K, M, O, V


def outline(rng: np.random.Generator) -> Polygon:
    """An irregular, simple (star-shaped) borough outline in EPSG:27700, whole metres."""
    t = np.linspace(0, 2 * np.pi, 32, endpoint=False)
    phase = rng.uniform(0, 2 * np.pi, 2)
    wobble = 1 + 0.10 * np.sin(2 * t + phase[0]) + 0.07 * np.sin(3 * t + phase[1]) + rng.uniform(-0.05, 0.05, t.size)
    x = CENTRE[0] + 5000 * wobble * np.cos(t)
    y = CENTRE[1] + 4000 * wobble * np.sin(t)
    return Polygon(np.round(np.column_stack([x, y])))


def random_points(poly, n: int, rng: np.random.Generator) -> list[Point]:
    """n uniform random points inside poly (rejection sampling)."""
    minx, miny, maxx, maxy = poly.bounds
    pts: list[Point] = []
    while len(pts) < n:
        p = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
        if poly.contains(p):
            pts.append(p)
    return pts


def ward_cells(border: Polygon, rng: np.random.Generator) -> list[Polygon]:
    """16 clipped Voronoi cells that tile the border exactly, ordered north to south."""
    seeds = random_points(border, len(WARDS), rng)
    for _ in range(2):  # two Lloyd steps: wards of similar size, still irregular
        cells = shapely.voronoi_polygons(shapely.MultiPoint(seeds), extend_to=border, ordered=True)
        seeds = [c.intersection(border).centroid for c in cells.geoms]
    cells = shapely.voronoi_polygons(shapely.MultiPoint(seeds), extend_to=border, ordered=True)
    clipped = [c.intersection(border) for c in cells.geoms]
    # Re-node all edges on a 1 cm grid and polygonize, so neighbours share identical
    # vertices: that survives reprojection and rounding without slivers or overlaps.
    lines = shapely.union_all(shapely.boundary(clipped), grid_size=0.01)
    faces = list(shapely.polygonize([lines]).geoms)
    assert len(faces) == len(WARDS), len(faces)
    faces = [next(f for f in faces if f.contains(s)) for s in seeds]
    order = sorted(range(len(seeds)), key=lambda i: (-round(seeds[i].y, -3), seeds[i].x))
    return [faces[i] for i in order]


def to_wgs84(geom):
    """Reproject a 27700 geometry to 4326 and round to 6 dp."""

    def project(xy):
        return np.round(np.column_stack(TO_4326.transform(xy[:, 0], xy[:, 1])), 6)

    return shapely.transform(geom, project)


def safely_inside(pt_4326: Point, ward_4326) -> bool:
    """True if the point is inside the ward and at least ~1 m from its edge."""
    return ward_4326.contains(pt_4326) and ward_4326.exterior.distance(pt_4326) > 1e-5


def make_postcodes(wards, wards_4326, populations, rng):
    """About 400 postcode points in the invented XX area, spread over wards by population."""
    minx, miny, maxx, maxy = shapely.union_all(wards).bounds
    per_ward = np.maximum(12, np.round(400 * populations / populations.sum())).astype(int)
    used, rows = set(), []
    for w, (ward, ward84) in enumerate(zip(wards, wards_4326)):
        inner = ward.buffer(-15)
        while sum(r["ward"] == w for r in rows) < per_ward[w]:
            p = random_points(inner, 1, rng)[0]
            e, n = int(round(p.x)), int(round(p.y))
            lon, lat = np.round(TO_4326.transform(e, n), 6)
            if not safely_inside(Point(lon, lat), ward84):
                continue
            # Real postcodes are geographic: outward district XX1-XX6 from a 3 x 2 grid
            # over the borough, sector digit 1-9 from a 3 x 3 grid inside each district.
            fx, fy = (e - minx) / (maxx - minx), (maxy - n) / (maxy - miny)
            district = 3 * min(int(2 * fy), 1) + min(int(3 * fx), 2) + 1
            sector = 3 * (min(int(6 * fy), 5) % 3) + min(int(9 * fx), 8) % 3 + 1
            code = f"XX{district} {sector}{rng.choice(PC_LETTERS)}{rng.choice(PC_LETTERS)}"
            if code in used:
                continue
            used.add(code)
            rows.append({"ward": w, "postcode": code, "easting": e, "northing": n, "lon": lon, "lat": lat})
    return sorted(rows, key=lambda r: r["postcode"])


def slug(text: str) -> str:
    """ASCII URL slug for an asset name."""
    ascii_text = unicodedata.normalize("NFKD", text.replace("'", "")).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def make_assets(categories, wards, wards_4326, names, populations, streets, postcodes, rng):
    """About 300 invented assets, uneven across categories, with designed gaps."""
    missing = {(names.index(w), c) for w, cats in STORY.items() for c in cats}
    phones = iter(rng.permutation(1000))
    used_names, assets = set(), []
    for cat in categories:
        kinds, templates, descriptions = TEXT[cat]
        placed = np.zeros(len(wards))
        for _ in range(ASSET_COUNTS[cat]):
            # Weight by population, but damp wards that already have one, so most gaps
            # are the designed ones (plus chance gaps in the rarer categories).
            allowed = np.array([(w, cat) not in missing for w in range(len(wards))])
            weights = allowed * populations * 0.15**placed
            w = int(rng.choice(len(wards), p=weights / weights.sum()))
            placed[w] += 1
            place, street = names[w], str(rng.choice(streets[w]))
            fill = dict(
                place=place,
                street=street,
                saint=rng.choice(SAINTS),
                surname=rng.choice(SURNAMES),
                firstname=rng.choice(FIRSTNAMES),
                tree=rng.choice(TREES),
            )
            for _attempt in range(20):  # retry templates until the name is new
                name = str(rng.choice(templates)).format(**fill)
                if name not in used_names:
                    break
                fill["street"] = street = str(rng.choice(streets[w]))
            else:
                name = f"{name} ({place} branch)"
            used_names.add(name)
            # Half the assets cluster near the ward's centre (a "high street"), half anywhere.
            inner, centre = wards[w].buffer(-25), wards[w].centroid
            while True:
                if rng.random() < 0.5:
                    p = Point(centre.x + rng.normal(0, 400), centre.y + rng.normal(0, 400))
                else:
                    p = random_points(inner, 1, rng)[0]
                pt = Point(np.round(TO_4326.transform(p.x, p.y), 6))
                if inner.contains(p) and safely_inside(pt, wards_4326[w]):
                    break
            kind = str(rng.choice(kinds))
            site = "example.com" if kind == "business" else "example.org/asterby-vale"
            phone = ""
            if rng.random() < 0.75:
                number = next(phones)
                phone = f"07700 900{number:03d}" if kind == "group" else f"01632 960{number:03d}"
            assets.append(
                {
                    "ward": w,
                    "cat": cat,
                    "pt": pt,
                    "xy": p,
                    "name": name,
                    "kind": kind,
                    "description": str(rng.choice(descriptions)).format(place=place),
                    "address": f"{rng.integers(1, 180)} {street}, {place}, Asterby Vale",
                    "website": f"https://{site}/{slug(name)}" if rng.random() < 0.8 else "",
                    "phone": phone,
                    "opening_times": str(rng.choice(OPENING[kind])) if rng.random() < 0.9 else "",
                    "accessibility": str(rng.choice(ACCESS)),
                }
            )
    # A second category for ~10% of assets, never one that would fill a designed gap.
    eligible = [i for i, a in enumerate(assets) if a["cat"] in SECOND]
    for i in sorted(rng.choice(eligible, size=round(0.1 * len(assets)), replace=False)):
        options = [c for c in SECOND[assets[i]["cat"]] if (assets[i]["ward"], c) not in missing]
        if options:
            assets[i]["cat"] += ";" + str(rng.choice(options))
    order = rng.permutation(len(assets))  # mix categories so ids don't group them
    assets = [assets[i] for i in order]
    pc_xy = np.array([[r["easting"], r["northing"]] for r in postcodes], dtype=float)
    pc_ward = np.array([r["ward"] for r in postcodes])
    for i, a in enumerate(assets, start=1):
        a["source_id"] = f"sample-{i:04d}"
        d = np.hypot(pc_xy[:, 0] - a["xy"].x, pc_xy[:, 1] - a["xy"].y)
        d[pc_ward != a["ward"]] = np.inf  # nearest postcode *in the asset's own ward*
        a["postcode"] = postcodes[int(np.argmin(d))]["postcode"]
    return assets


def make_needs(categories, names, deciles, rng):
    """About 80 stated needs: the STORY rows plus random asks, more in deprived wards."""
    rows = []
    weights = np.array([NEED_WEIGHT[c] for c in categories], dtype=float)
    for w, name in enumerate(names):
        story = STORY.get(name, {})
        rows += [(w, c, n, text) for c, (n, text) in story.items()]
        extra = 4 + (10 - deciles[w]) // 3 - len(story)
        p = weights.copy()
        p[[categories.index(c) for c in story]] = 0
        for c in rng.choice(categories, size=extra, replace=False, p=p / p.sum()):
            count = int(min(40, rng.integers(1, 12) + rng.integers(0, 11 - deciles[w])))
            comment = str(rng.choice(NEED_COMMENTS[c])) if rng.random() < 0.9 else ""
            rows.append((w, str(c), count, comment))
    return sorted(rows, key=lambda r: (r[0], categories.index(r[1])))


def _with_welsh_name(properties: dict) -> dict:
    """Return a place's properties with its Welsh name after its name, when it has one."""
    welsh = ASSET_NAMES_CY.get(properties["source_id"])
    if welsh is None:
        return properties
    out = {}
    for key, value in properties.items():
        out[key] = value
        if key == "name":
            out["name_cy"] = welsh
    return out


def write_geojson(path: Path, name: str, features: list[dict]) -> None:
    """Write a FeatureCollection, one feature per line, so diffs stay readable."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in features]
    head = json.dumps({"type": "FeatureCollection", "name": name})[:-1]
    path.write_text(head + ', "features": [\n' + ",\n".join(lines) + "\n]}\n", encoding="utf-8")


def write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    """Write a UTF-8 CSV with Unix newlines."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def main() -> None:
    """Build every sample file under --out (default: the repo's data/)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "data", help="output directory (default: data/)")
    parser.add_argument("--categories", type=Path, default=REPO / "data" / "categories.csv")
    args = parser.parse_args()
    categories = pd.read_csv(args.categories)["id"].tolist()
    assert set(categories) == set(TEXT) == set(ASSET_COUNTS) == set(NEED_WEIGHT), "taxonomy changed"

    rng = np.random.default_rng(SEED)
    wards = ward_cells(outline(rng), rng)
    # Rounding to 6 dp can in principle fold a thin corner; repair it if so.
    wards_4326 = [to_wgs84(w) for w in wards]
    wards_4326 = [g if g.is_valid else shapely.make_valid(g) for g in wards_4326]
    wards_4326 = [shapely.orient_polygons(g) for g in wards_4326]  # RFC 7946 winding
    assert all(g.geom_type == "Polygon" and g.is_valid for g in wards_4326)
    names, deciles = [n for n, _ in WARDS], [d for _, d in WARDS]
    codes = [f"E05900{i:03d}" for i in range(1, len(WARDS) + 1)]
    populations = rng.integers(5000, 14001, len(WARDS))
    pool = rng.permutation([f"{r} {k}" for r in STREET_ROOTS for k in STREET_KINDS])
    streets = [list(pool[5 * w : 5 * w + 5]) for w in range(len(WARDS))]

    postcodes = make_postcodes(wards, wards_4326, populations, rng)
    assets = make_assets(categories, wards, wards_4326, names, populations, streets, postcodes, rng)
    needs = make_needs(categories, names, deciles, rng)

    write_geojson(
        args.out / "boundaries" / "sample_wards.geojson",
        "sample_wards",
        [
            {
                "type": "Feature",
                "properties": {
                    "ward_code": codes[w],
                    "ward_name": names[w],
                    **({"ward_name_welsh": WARD_NAMES_CY[names[w]]} if names[w] in WARD_NAMES_CY else {}),
                    "lad_code": LAD_CODE,
                    "lad_name": LAD_NAME,
                    "population": int(populations[w]),
                    "imd_decile": deciles[w],
                    "note": WARD_NOTE,
                },
                "geometry": mapping(g),
            }
            for w, g in enumerate(wards_4326)
        ],
    )
    keys = [
        "source_id",
        "name",
        "category",
        "kind",
        "description",
        "address",
        "postcode",
        "website",
        "phone",
        "opening_times",
        "accessibility",
    ]
    write_geojson(
        args.out / "assets" / "sample_assets.geojson",
        "sample_assets",
        [
            {
                "type": "Feature",
                "properties": {
                    **_with_welsh_name({k: a["cat" if k == "category" else k] for k in keys}),
                    "note": ASSET_NOTE,
                },
                "geometry": mapping(a["pt"]),
            }
            for a in assets
        ],
    )
    write_csv(
        args.out / "postcodes" / "sample_postcodes.csv",
        [
            "postcode",
            "positional_quality_indicator",
            "easting",
            "northing",
            "country_code",
            "nhs_regional_ha_code",
            "nhs_ha_code",
            "admin_county_code",
            "admin_district_code",
            "admin_ward_code",
            "longitude",
            "latitude",
        ],
        [
            [
                r["postcode"],
                10,
                r["easting"],
                r["northing"],
                "E92000001",
                "",
                "",
                "",
                LAD_CODE,
                codes[r["ward"]],
                f"{r['lon']:.6f}",
                f"{r['lat']:.6f}",
            ]
            for r in postcodes
        ],
    )
    write_csv(
        args.out / "assets" / "sample_needs.csv",
        ["ward_code", "category", "count", "comment"],
        [[codes[w], c, n, text] for w, c, n, text in needs],
    )
    write_readme(args.out / "README.md", len(assets), len(postcodes), len(needs), names, codes)
    print(
        f"Wrote fictional sample area to {args.out}: {len(wards)} wards, {len(assets)} assets, "
        f"{len(postcodes)} postcodes, {len(needs)} needs"
    )


def write_readme(path: Path, n_assets: int, n_postcodes: int, n_needs: int, names, codes) -> None:
    """Describe the data folder; generated so the counts never go stale."""
    story = "\n".join(
        f"- {w} ({codes[names.index(w)]}): no "
        + " or ".join(f"`{c}`" for c in cats)
        + " asset, and residents ask for "
        + ("both." if len(cats) > 1 else "one.")
        for w, cats in STORY.items()
    )
    path.write_text(
        f"""# data/

<!-- Generated by scripts/make_sample_area.py: edit the script, not this file. -->

**Everything in the sample files below is FICTIONAL.** "Asterby Vale (fictional)" is an
invented borough; its wards, GSS-style codes (E05900…, E08900001), postcodes (area `XX`),
assets, addresses, phone numbers (Ofcom drama ranges 01632 960xxx and 07700 900xxx) and
websites (example.org / example.com) describe no real place, person or organisation. They
exist so that `make run` has something to show on every page.

| file | what it is |
|---|---|
| `categories.csv` | the category taxonomy (`id,label,group,description,osm_tags`, and in Welsh `label_cy,description_cy`); real project data, hand-maintained, not generated |
| `boundaries/sample_wards.geojson` | 16 fictional wards tiling the borough (EPSG:4326, 6 dp): `ward_code`, `ward_name`, `lad_code`, `lad_name`, `population`, `imd_decile`, `note`; a few wards also `ward_name_welsh` |
| `assets/sample_assets.geojson` | {n_assets} fictional community assets (points, EPSG:4326, 6 dp): `source_id`, `name`, `category` (one id, or two joined by `;`), `kind` (group / business / venue / service), `description`, `address`, `postcode`, `website`, `phone`, `opening_times`, `accessibility`, `note`; a few places also `name_cy` (their Welsh name) |
| `postcodes/sample_postcodes.csv` | {n_postcodes} fictional postcodes `XX1`–`XX6` in OS Code-Point Open columns; easting/northing in EPSG:27700, longitude/latitude in EPSG:4326; `admin_ward_code` is the ward the point lies in |
| `assets/sample_needs.csv` | {n_needs} stated needs: `ward_code,category,count,comment` |

Every asset lies inside exactly one ward, and its postcode is the nearest postcode point
in that same ward. Category ids all come from `categories.csv`.

The gap map tells a deliberate story in a few wards:

{story}

Other categories are missing from some wards by chance, and faith, care homes and public
services are never asked for.

## Regenerate

    .venv/bin/python scripts/make_sample_area.py            # rewrites the files above
    .venv/bin/python scripts/make_sample_area.py --out DIR  # same tree under DIR

The generator uses a fixed random seed and a pinned coordinate transformation, so a re-run
gives byte-identical files (`tests/test_sample_area.py` checks this).

## Real data

Real open data for tests and benchmarks (ONS boundaries, population, OpenStreetMap assets,
Code-Point Open postcodes) lives outside the repo in `../shared/data` (see its SOURCES.md
for provenance and licences). Never copy it into this folder.
""",
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
