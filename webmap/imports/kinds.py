"""The kinds of file staff can import in the browser, each with the options the command line offers.

A kind names the importer function the matching `flask --app webmap import-…` command calls and
turns the form's plain-word options into that function's arguments: one code path for both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from webmap.core.models import ASSET_KINDS
from webmap.importers import ImportFailed, ImportReport


@dataclass(frozen=True)
class Option:
    """One choice on the import form, in plain words, and the importer argument it sets."""

    name: str
    label: str
    hint: str
    type: str = "text"  # text, bool or choice
    # (value, label) pairs, or "registers" for the register layouts kept as data in data/registers/.
    choices: tuple[tuple[str, str], ...] | str = ()
    default: str | bool = ""

    def choice_list(self) -> tuple[tuple[str, str], ...]:
        """Return the (value, label) pairs offered for a choice."""
        return _register_choices() if self.choices == "registers" else self.choices  # type: ignore[return-value]


@dataclass(frozen=True)
class ImportKind:
    """What a file is: its label, the files it accepts, its options and how to run its importer."""

    key: str
    label: str
    description: str
    suffixes: tuple[str, ...]
    command: str
    run: Callable[[Path, dict], ImportReport]
    options: tuple[Option, ...] = field(default_factory=tuple)
    # Places kinds can be rolled back: the assets they add carry `source`, so the job knows them.
    places: bool = False

    @property
    def can_skip(self) -> bool:
        """Say whether this kind's importer can import the good rows and refuse the bad ones."""
        return any(o.name == "skip_bad_rows" for o in self.options)

    def source_name(self, path: Path, options: dict) -> str | None:
        """Return the asset source this import writes to (places kinds only), as the importer chooses it.

        Given on the form, that name; else a national register's own name (chosen, or recognised from
        the file's first lines, as import_assets does); else the file name without its suffix.
        """
        if not self.places:
            return None
        if options.get("source"):
            return options["source"][:50]
        if self.key == "places":
            from webmap.importers.common import is_vector
            from webmap.importers.registers import detect_layout, get_layout

            register = options.get("register")
            try:
                layout = (
                    get_layout(register, path.name)
                    if register and register != "detect"
                    else (detect_layout(path) if path.exists() and not is_vector(path) else None)
                )
            except ImportFailed:
                layout = None  # the importer itself refuses an unknown layout, naming the known ones
            if layout:
                return layout.name[:50]
        return path.stem[:50]


VECTOR = (".geojson", ".json", ".gpkg", ".zip", ".fgb")
SKIP_OPTION = Option(
    "skip_bad_rows",
    _l("Import the good rows and list the unusable ones"),
    _l("Without this, one unusable row stops the whole file and nothing is saved."),
    "bool",
    (),
    False,
)
CRS_OPTION = Option(
    "crs",
    _l("Coordinate system, when the file does not say"),
    _l("For example EPSG:27700 (British National Grid). Leave empty if the file names its own."),
)


def _rejects(path: Path) -> Path:
    """Refused rows go beside the upload, for the page's download (same folder as the job)."""
    return path.parent / "rejects.csv"


def _wards(path: Path, o: dict) -> ImportReport:
    from webmap.importers.wards import import_wards

    return import_wards(
        path,
        o.get("code_col") or None,
        o.get("name_col") or None,
        o.get("crs") or None,
        o.get("layer") or None,
        skip_bad_rows=bool(o.get("skip_bad_rows")),
        rejects_path=_rejects(path),
    )


def _places(path: Path, o: dict) -> ImportReport:
    from webmap.importers.assets import import_assets

    register = o.get("register") or None
    return import_assets(
        path,
        o.get("category_col") or None,
        o.get("source") or None,
        None,
        bool(o.get("add_categories")),
        o.get("asset_kind") or None,
        crs=o.get("crs") or None,
        category=o.get("category") or None,
        register=None if register == "detect" else register,
        source_date=o.get("source_date") or None,
        skip_bad_rows=bool(o.get("skip_bad_rows")),
        rejects_path=_rejects(path),
    )


def _register_choices() -> tuple[tuple[str, str], ...]:
    from webmap.importers.registers.layouts import load_layouts

    return (
        ("detect", _l("Find out from the file's header")),
        *((name, layout.title) for name, layout in sorted(load_layouts().items())),
    )


def _postcodes(path: Path, o: dict) -> ImportReport:
    from webmap.importers.postcodes import import_postcodes

    return import_postcodes(path)


def _population(path: Path, o: dict) -> ImportReport:
    from webmap.importers.population import import_population

    return import_population(path, None, o.get("population_col") or None, o.get("code_col") or None, None, [])


def _needs(path: Path, o: dict) -> ImportReport:
    from webmap.importers.needs import import_needs

    return import_needs(
        path,
        o.get("source") or None,
        None,
        o.get("round_name") or None,
        o.get("round_date") or None,
        skip_bad_rows=bool(o.get("skip_bad_rows")),
        rejects_path=_rejects(path),
    )


def _oruk(path: Path, o: dict) -> ImportReport:
    from webmap.opendata.oruk_import import import_oruk

    return import_oruk(path, None, o.get("default_category") or None, bool(o.get("add_categories")))


def _osm(path: Path, o: dict) -> ImportReport:
    from webmap.importers.osm import import_osm

    return import_osm(path, kind=o.get("asset_kind") or "venue")


KIND_WORDS = {"group": _l("Group"), "business": _l("Business"), "venue": _l("Venue"), "service": _l("Service")}
KIND_CHOICES = tuple((k, KIND_WORDS.get(k, k.capitalize())) for k in ASSET_KINDS)

KINDS: dict[str, ImportKind] = {
    k.key: k
    for k in (
        ImportKind(
            "wards",
            _l("Ward boundaries"),
            _l("Ward outlines with their ONS codes and names (GeoJSON, GeoPackage or a zipped Shapefile)."),
            VECTOR,
            "import-wards",
            _wards,
            (
                Option(
                    "code_col", _l("Column with the ward code"), _l("Leave empty to find it (e.g. WD23CD, ward_code).")
                ),
                Option("name_col", _l("Column with the ward name"), _l("Leave empty to find it.")),
                Option("layer", _l("Layer (GeoPackage only)"), _l("Leave empty for the first layer.")),
                CRS_OPTION,
                SKIP_OPTION,
            ),
        ),
        ImportKind(
            "places",
            _l("Places (community assets)"),
            _l(
                "Groups, venues, services or businesses, from a GIS file or a "
                "CSV with coordinates or postcodes, or a national register exactly as published."
            ),
            (*VECTOR, ".csv", ".gz"),
            "import-assets",
            _places,
            (
                Option(
                    "register",
                    _l("Layout of a national register"),
                    _l(
                        "Schools (GIAS), GP practices and pharmacies "
                        "(NHS ODS), libraries or care services (CQC) exactly as downloaded. Closed ones are left "
                        "out and counted."
                    ),
                    "choice",
                    "registers",
                    "detect",
                ),
                Option(
                    "category",
                    _l("One category for every row"),
                    _l("A category id, for example education. Leave empty to read each row's category."),
                ),
                Option(
                    "category_col", _l("Column with the category"), _l("Leave empty to use a column called category.")
                ),
                Option(
                    "asset_kind",
                    _l("What the places are"),
                    _l("Used where the file and register do not say."),
                    "choice",
                    (("", _l("As the file or register says (else service)")), *KIND_CHOICES),
                    "",
                ),
                Option(
                    "source_date",
                    _l("Date the source states"),
                    _l(
                        "For example 2025-05-24: shown as the source "
                        "date of every place (the register's own date column wins where it has one)."
                    ),
                ),
                Option(
                    "source",
                    _l("Name of this source"),
                    _l(
                        "Importing the same source again updates its places. "
                        "Leave empty to use the register's own name (for example gias for the schools register) when the "
                        "file is a national register, and otherwise the file name without its ending."
                    ),
                ),
                Option("add_categories", _l("Add categories the taxonomy does not have"), "", "bool", (), False),
                CRS_OPTION,
                SKIP_OPTION,
            ),
            places=True,
        ),
        ImportKind(
            "postcodes",
            _l("Postcodes"),
            _l("OS Code-Point Open or the ONS Postcode Directory (CSV)."),
            (".csv", ".gz"),
            "import-postcodes",
            _postcodes,
        ),
        ImportKind(
            "population",
            _l("Ward population"),
            _l("A table of ward codes and their population (CSV)."),
            (".csv",),
            "import-population",
            _population,
            (
                Option("code_col", _l("Column with the ward code"), _l("Leave empty to find it.")),
                Option("population_col", _l("Column with the population"), _l("Leave empty to find it.")),
            ),
        ),
        ImportKind(
            "needs",
            _l("A needs survey"),
            _l("What residents said their area needs: a ward code or postcode and a category per row (CSV)."),
            (".csv",),
            "import-needs",
            _needs,
            (
                Option(
                    "round_name",
                    _l("Survey round"),
                    _l(
                        "For example 'Spring 2027 survey'. A new round adds to the "
                        "history; importing the same round again replaces only that round's answers."
                    ),
                ),
                Option(
                    "round_date",
                    _l("Day the round was held"),
                    _l("YYYY-MM-DD, for example 2027-03-31; needed for a new round."),
                ),
                Option(
                    "source",
                    _l("Name of the survey"),
                    _l(
                        "Without a round, importing the same name again replaces "
                        "its answers. Leave empty to use the file name."
                    ),
                ),
                SKIP_OPTION,
            ),
        ),
        ImportKind(
            "oruk",
            _l("An Open Referral UK directory"),
            _l("Services in ORUK JSON (one page of the API or a list)."),
            (".json",),
            "import-oruk",
            _oruk,
            (
                Option(
                    "default_category",
                    _l("Category for services whose terms match none"),
                    _l("A category id, for example food-support. Leave empty to refuse such services."),
                ),
                Option("add_categories", _l("Add categories the taxonomy does not have"), "", "bool", (), False),
            ),
        ),
        ImportKind(
            "osm",
            _l("An OpenStreetMap extract"),
            _l("Nodes and ways as GeoJSON or Overpass JSON; their tags pick the category."),
            (".json", ".geojson", ".osm.json"),
            "import-osm",
            _osm,
            (Option("asset_kind", _l("What the places are"), "", "choice", KIND_CHOICES, "venue"),),
        ),
    )
}


def clean_options(kind: ImportKind, form: dict) -> dict:
    """Return the kind's options from a submitted form: trimmed text, booleans, known choices only."""
    out: dict = {}
    for option in kind.options:
        raw = form.get(option.name)
        if option.type == "bool":
            out[option.name] = raw in ("1", "on", "true", True)
        elif option.type == "choice":
            allowed = {c for c, _ in option.choice_list()}
            value = (option.default if raw is None else raw).strip()
            if value not in allowed:
                raise ValueError(_("'%(value)s' is not a choice for “%(label)s”.", value=value, label=option.label))
            out[option.name] = value
        else:
            value = (raw or "").strip()
            if len(value) > 200:
                raise ValueError(_("“%(label)s” is too long (200 characters at most).", label=option.label))
            out[option.name] = value
    return out
