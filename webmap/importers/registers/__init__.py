"""National registers by their published layout: each layout is a small TOML file in data/registers/.

A layout says which columns a register has (or, for a headerless file, what they are), how to
tell an open establishment from a closed one, which category its rows belong to and what goes
into each field. `read_register` turns a file as published into the plain table the asset
importer reads, leaving closed rows out and counting them.
"""

from webmap.importers.registers.layouts import Layout, detect_layout, get_layout, layout_names, load_layouts
from webmap.importers.registers.reader import read_register

__all__ = ["Layout", "detect_layout", "get_layout", "layout_names", "load_layouts", "read_register"]
