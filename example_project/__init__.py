"""A demo Django project serving velt_django at ``/velt/`` (not for production as is)."""
