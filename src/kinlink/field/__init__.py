"""The field: burial sites and their exhumation, remains and samples in custody, and what is known of a
missing person's body before death (ante-mortem) and of remains after it (post-mortem)."""
