"""The /embed page: the map and its list, filtered from the URL, for a council's own website to frame."""
