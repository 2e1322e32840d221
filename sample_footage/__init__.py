"""The synthetic sample footage generator (make_sample.py) and its committed outputs."""
