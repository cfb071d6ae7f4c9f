"""More ``ballot`` subcommands: each module here exposes ``COMMANDS``, a list of click commands."""
