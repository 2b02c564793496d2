"""pytest setup.

Imports the in-place build (ase_ext/) when cz is not installed, and when run by ctest (which
sets CZ_TEST_TMP to a folder under build/) keeps every temporary file under that folder.
"""

import importlib.util
import os
import sys
from pathlib import Path

if importlib.util.find_spec("cz") is None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "ase_ext"))


def pytest_configure(config):
    tmp = os.environ.get("CZ_TEST_TMP")
    if tmp and config.option.basetemp is None:
        config.option.basetemp = str(Path(tmp) / "pytest")
