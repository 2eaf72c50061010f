"""Example services that the demo and the integration suites run under the harness."""
