"""Small real plugins the tests register into real plugin managers."""
