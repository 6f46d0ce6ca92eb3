"""The demo: a realistic month of a consumption-priced cloud, run through the whole pipeline."""
