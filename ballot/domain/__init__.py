"""Pure domain rules: no Flask, no SQLAlchemy. Plain data in, plain values out."""
