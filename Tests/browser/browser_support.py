"""Shared by the browser tests: where screenshots go, the admin token, and the blank-screenshot check."""

from __future__ import annotations

import os
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
SCREENSHOTS = Path(os.environ.get("MOCK_OKTA_SCREENSHOTS", REPO / "ci-artifacts" / "screenshots"))
ADMIN = "dash-admin-token"


def screenshot(driver: object, name: str) -> Path:
    """Saves a PNG and fails if it is blank (one colour, or almost)."""
    from PIL import Image

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    driver.save_screenshot(str(path))  # type: ignore[attr-defined]
    img = Image.open(path).convert("RGB")
    small = img.resize((200, 140))
    colours = len(small.getcolors(maxcolors=200 * 140) or [])
    lo, hi = img.convert("L").getextrema()
    assert colours > 8 and hi - lo > 60, f"screenshot {path} looks blank ({colours} colours, range {lo}..{hi})"
    return path
