"""backup: one archive of a node (database, media, config, key files) and its restore elsewhere."""
