"""Settings classes. Values come from the environment (BALLOT_*) with safe defaults."""
