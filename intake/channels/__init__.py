"""Inbound channel adapters, one subpackage per channel or provider.

Each adapter authenticates the sender (API key or the provider's signature), parses the
provider's payload and calls one intake service. Its `fixtures/` hold real-looking sample
payloads that the tests in tests/test_channel_<name>.py replay. Adding a provider means copying
the closest subpackage, changing the parser and the signature check, and adding a URL.
"""
