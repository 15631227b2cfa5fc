"""The core: settings, database, typed models, storage of GeoDataFrames, audit trail, geography."""
