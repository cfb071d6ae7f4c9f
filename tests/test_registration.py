"""Blueprints and commands are registered by explicit lists (ballot/app.py, ballot/cli.py); a
module added to ballot/web or ballot/commands and left off them would be silently unreachable."""

from __future__ import annotations

import importlib
import pkgutil

import ballot.commands
import ballot.web


def test_every_blueprint_is_registered(app):
    for info in pkgutil.iter_modules(ballot.web.__path__):
        blueprint = getattr(importlib.import_module(f"ballot.web.{info.name}"), "bp", None)
        if blueprint is not None:
            assert app.blueprints.get(blueprint.name) is blueprint, (
                f"ballot/web/{info.name}.py has a blueprint: add it to ballot/app.py _blueprints")


def test_every_command_is_registered(app):
    for info in pkgutil.iter_modules(ballot.commands.__path__):
        module = importlib.import_module(f"ballot.commands.{info.name}")
        for command in getattr(module, "COMMANDS", []):
            assert app.cli.commands.get(command.name) is command, (
                f"ballot/commands/{info.name}.py: add it to ballot/cli.py register")
