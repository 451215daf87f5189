"""The matrix run: plan the cells, prepare images and wheels, probe, record."""
