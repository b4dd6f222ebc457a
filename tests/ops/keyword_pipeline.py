"""`pipeline.py` with the keyword stand-in classifier, for subprocess tests of `schedule`.

Usage: python tests/ops/keyword_pipeline.py schedule --config F --db F
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent.parent), str(HERE)]

from opskit import KeywordModel  # noqa: E402

import classify.model  # noqa: E402
import pipeline  # noqa: E402

classify.model.load_model = lambda path=None: KeywordModel()  # type: ignore[assignment]

if __name__ == "__main__":
    sys.exit(pipeline.main())
