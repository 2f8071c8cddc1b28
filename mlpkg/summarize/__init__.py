"""Extractive summarisers (registered by name, same contract as the classifiers)."""
