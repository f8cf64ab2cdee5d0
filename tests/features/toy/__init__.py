"""A toy feature, to show that a new feature is its own package plus one entry in the tuple of features."""
