"""Prints the Debian package of Python's shared library (``libpython3.11``) when this Python's is missing.

PyInstaller bundles ``libpython3.X.so.1.0``; Debian's ``python3`` is linked statically and leaves the shared
library to the ``libpython3.X`` package, which a bare system lacks (``make package`` installs it).
"""

import os
import sys
import sysconfig

libdir = sysconfig.get_config_var("LIBDIR") or ""
places = [
    libdir,
    os.path.join(libdir, sysconfig.get_config_var("MULTIARCH") or ""),
    os.path.join(sys.base_prefix, "lib"),
]
name = sysconfig.get_config_var("INSTSONAME") or ""
if sys.platform.startswith("linux") and not any(os.path.exists(os.path.join(p, name)) for p in places):
    print(f"libpython{sys.version_info[0]}.{sys.version_info[1]}")
