"""Record linkage inside the registry: candidate "same person" links, their review and merging."""
