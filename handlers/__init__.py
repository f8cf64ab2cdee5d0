"""Features on neutral messages: no platform imports here."""
