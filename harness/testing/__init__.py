"""What tests import: the connections, brokers and live app that the plugins prepared."""
