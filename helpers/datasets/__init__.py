"""CSV files shipped with the course (read by :mod:`helpers.data`)."""
