"""REST API for partner organisations (django-ninja): tokens per organisation, scopes per endpoint."""
