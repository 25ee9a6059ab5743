"""The explorer page of an experiment: its numbers (data), its HTML (page), a headless browser (browser)."""
