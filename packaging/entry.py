"""Entry point for the packaged build (PyInstaller runs this as a script)."""

import sys

from app.__main__ import main

sys.exit(main())
