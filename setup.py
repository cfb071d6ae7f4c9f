"""Build hook: the wheel carries the top-level kiosk_templates/ inside the package.

Everything else about the package lives in setup.cfg. The templates sit at the top of the
repository (the house layout), which setuptools cannot map into ``ballot/`` by configuration
alone; this copies them to ``ballot/kiosk_templates/`` in the built wheel, where
``ballot.app.template_folder()`` finds them. Editable installs read them in place.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

TEMPLATES = Path(__file__).resolve().parent / "kiosk_templates"


class BuildWithTemplates(build_py):
    """build_py, then copy kiosk_templates/**/*.html into the built package."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # the source tree is used as it is
        target = Path(self.build_lib) / "ballot" / "kiosk_templates"
        for path in sorted(TEMPLATES.rglob("*.html")):
            destination = target / path.relative_to(TEMPLATES)
            self.mkpath(str(destination.parent))
            self.copy_file(str(path), str(destination))


setup(cmdclass={"build_py": BuildWithTemplates})
