"""Training runs: the loop, the run from options to a model folder, the improve recipe, the studies, silver labels."""
