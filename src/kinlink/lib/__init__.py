"""Small pure definitions shared by the engines and the apps (no Django, no I/O at import).

The lowest layer with the engines: it imports nothing of kinlink above it. One definition of each rule
that several layers need (the person-list columns, ...) lives here.
"""
