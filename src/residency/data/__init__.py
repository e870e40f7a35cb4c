"""The data files of residency: the bundled catalog, country groups and name index."""
