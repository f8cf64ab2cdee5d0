"""The core every feature stands on and none is part of: neutral types, the unit of work, the router, effects into
the outbox, the texts machinery and the Feature record."""
