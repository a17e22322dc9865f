"""The top of the dependency graph: the `kbqa` command composes indexer <- service <- eval."""
