"""Chat widgets: a JSON webhook signed with a shared secret (X-ClarioScope-Signature)."""
