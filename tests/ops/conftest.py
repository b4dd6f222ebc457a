"""tests/ops: the local servers of opskit.py are importable as ``opskit`` (tests/ is on the path as the
root of packages, and ``ops`` there would shadow the code's own package)."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)
