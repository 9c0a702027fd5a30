"""Write a starter .env with fresh secrets, from .env.example's settings."""

from __future__ import annotations

import secrets
from pathlib import Path

from bots.settings import MIN_KEY_CHARS, weakness

TEMPLATE = """\
# Written by `surveybot init`. See .env.example for every setting.
SURVEYBOT_ENV=development
SURVEYBOT_DATABASE_URL=sqlite:///./surveybot.db
SURVEYBOT_ADMIN_TOKEN={admin}
SURVEYBOT_VIEWER_TOKEN={viewer}
SURVEYBOT_SECRET_KEY={secret}
SURVEYBOT_COMPANY_NAME=Acme
"""


def write_env_file(path: Path) -> str:
    """Create `path` (mode 600) and return the admin token written into it."""
    admin = _random(32)
    text = TEMPLATE.format(admin=admin, viewer=_random(32), secret=_random(48))
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    return admin


def _random(nbytes: int) -> str:
    """A random secret that production accepts: now and then a draw spells a word like 'test'."""
    while weakness(value := secrets.token_urlsafe(nbytes), MIN_KEY_CHARS):
        pass
    return value
