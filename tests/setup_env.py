"""Install the system packages the test suite needs (Debian), when missing.

Run by `make test`. The ballot box's group arithmetic is libsodium (Debian libsodium23, loaded by
pysodium; `make` checks it too, see the Makefile's `sodium` target). Browser tests need Debian's
chromium (never a downloaded browser) and a CJK font so screenshots and PDF renderings show
Chinese; PDF checks use poppler's pdftoppm. The spoken ballot's server-made clips use espeak-ng
(optional when serving: see ballot/services/speech.py). Without
root or apt-get (a developer laptop) nothing is installed and the tests that need them skip with
a reason, except in CI (BALLOT_REQUIRE_ALL_TESTS=1), where they fail.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys

# Debian package -> a file it installs (a glob: libsodium's directory names the architecture).
PACKAGES = {
    "libsodium23": "/usr/lib/*/libsodium.so.23",
    "chromium": "/usr/bin/chromium",
    "fonts-noto-cjk": "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "poppler-utils": "/usr/bin/pdftoppm",
    "fonts-dejavu-core": "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "espeak-ng": "/usr/bin/espeak-ng",
}


def missing() -> list[str]:
    """Debian packages whose marker file is not on this machine."""
    return [name for name, marker in PACKAGES.items() if not glob.glob(marker)]


def main() -> int:
    """Install what is missing; report what could not be installed."""
    needed = missing()
    if not needed:
        return 0
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        print(f"setup_env: cannot install {', '.join(needed)} (no apt-get or not root); "
              "tests that need them will be skipped", file=sys.stderr)
        return 0
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    print(f"setup_env: apt-get install {' '.join(needed)}", flush=True)
    subprocess.run(["apt-get", "update", "-qq"], check=False, env=env)
    result = subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *needed],
        check=False, env=env,
    )
    if result.returncode != 0:
        print("setup_env: apt-get failed; tests that need these packages will skip or fail",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
