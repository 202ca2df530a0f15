"""Record linkage (pure library): the same person across lists, in Cyrillic and Latin script."""
