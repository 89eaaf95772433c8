"""`berth up`: everything on one machine, with simulated clouds where none is configured."""
