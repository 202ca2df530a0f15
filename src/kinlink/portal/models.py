"""The portal keeps no records of its own: the case's thread with the family, released updates, tasks and
notes live in the registry (:mod:`kinlink.registry.models`), where the actions that write them are."""
