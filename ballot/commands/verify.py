"""``ballot verify BUNDLE --fingerprint FP | --no-fingerprint``: the Flask-free verifier as a
subcommand."""

from ballot.verify import main as verify

verify.name = "verify"
COMMANDS = [verify]
