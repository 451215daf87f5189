"""Build: the sample corpus's wheels, through cibuildwheel in each build image."""
