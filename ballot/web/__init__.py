"""Web surfaces: one blueprint per audience (auth, admin, public, api; kiosk and chair later)."""
