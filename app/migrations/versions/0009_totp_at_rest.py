"""Staff TOTP seeds sealed at rest: every plaintext seed is encrypted with the TOTP key.

From this revision the app stores `staff_user.totp_secret` as "v1:" + AES-SIV of the seed
under the key in AFTERCARE_TOTP_KEY_FILE (app/staff/totp_secrets.py); it still reads a
plaintext seed, so a process started before this ran keeps working. The key comes from the
settings, as for the app: development makes it on first use, production needs the file.
Nothing to seal (no account with a second factor) needs no key at all. The column keeps its
width: a sealed seed is 51 characters. Downgrade opens them again (it needs the key too).

Revision ID: 0009_totp_at_rest
Revises: 0008
Create Date: 2026-12-02 07:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_totp_at_rest"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The id untyped: it goes back into the WHERE exactly as it was read.
_STAFF = sa.table("staff_user", sa.column("id"), sa.column("totp_secret", sa.String()))


def upgrade() -> None:
    _rewrite(sealed=False)


def downgrade() -> None:
    _rewrite(sealed=True)


def _rewrite(*, sealed: bool) -> None:
    """Seal every plaintext seed (`sealed` False), or open every sealed one (True)."""
    connection = op.get_bind()
    prefixed = _STAFF.c.totp_secret.like("v1:%")
    rows = connection.execute(
        sa.select(_STAFF.c.id, _STAFF.c.totp_secret).where(
            _STAFF.c.totp_secret.is_not(None), prefixed if sealed else sa.not_(prefixed)
        )
    ).all()
    if not rows:
        return
    # Imported here: only a database with seeds to change needs the settings and the key.
    from app.config import Settings
    from app.staff import totp_secrets

    totp_secrets.configure(Settings())
    rewrite = totp_secrets.open_secret if sealed else totp_secrets.seal
    for staff_id, secret in rows:
        connection.execute(
            sa.update(_STAFF).where(_STAFF.c.id == staff_id).values(totp_secret=rewrite(secret))
        )
