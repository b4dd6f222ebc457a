"""Collectors: one module per source kind, plus the shared HTTP client and the Item record.

The registries below map a kind to ``"module"`` (collectors) or ``"module:function"`` (importers);
modules are imported only when a source of that kind is used, so ``--help`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import Any

COLLECTORS: dict[str, str] = {
    "rss": "collectors.rss",
    "portal": "collectors.portal",
    "facebook": "collectors.facebook",
    "telegram": "collectors.telegram",
}

IMPORTERS: dict[str, str] = {
    "whatsapp": "collectors.whatsapp:read_export",
    "facebook-export": "collectors.facebook_export:read_export",
    "csv": "collectors.file_import:read_csv",
    "jsonl": "collectors.file_import:read_jsonl",
}


def collector_module(kind: str) -> Any:
    """The collector module for ``kind`` (KeyError when there is none)."""
    return importlib.import_module(COLLECTORS[kind])


def importer(kind: str) -> Any:
    """The import function for ``kind`` (KeyError when there is none)."""
    module, _, func = IMPORTERS[kind].partition(":")
    return getattr(importlib.import_module(module), func)
