"""Configuration recipes, loadable by name after install."""
