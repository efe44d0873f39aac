"""camera credentials apart: a camera's stream user and password leave ``source_uri`` for
columns of their own (the password a declared secret, never shown or copied anywhere), so
no reader of the URI, the console's copy or an export can meet a password.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 22:40:00

"""
import re
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


# revision identifiers, used by Alembic.
revision: str = '0014'
down_revision: Union[str, Sequence[str], None] = '0013'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

#: scheme://, then the user information up to the last ``@`` before the path (the same rule
#: as core.crud.secrets; copied so this revision never changes with the app's code).
_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)([^/]*)@")
camera = sa.table(
    "camera",
    sa.column("id", sa.Integer),
    sa.column("source_uri", sa.String),
    sa.column("username", sa.String),
    sa.column("password", sa.String),
)


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('camera') as batch:
        batch.add_column(sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True))
        batch.add_column(sa.Column('password', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
    bind = op.get_bind()
    rows = bind.execute(sa.select(camera.c.id, camera.c.source_uri).where(camera.c.source_uri.like('%@%')))
    for row_id, uri in rows.all():
        match = _USERINFO.match(uri)
        if match is None:
            continue
        user, sep, password = match.group(2).partition(":")
        bind.execute(
            camera.update().where(camera.c.id == row_id).values(
                source_uri=match.group(1) + uri[match.end():],
                username=user or None,
                password=password if sep else None,
            )
        )


def downgrade() -> None:
    """Downgrade schema: the credentials go back into the URI."""
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(camera.c.id, camera.c.source_uri, camera.c.username, camera.c.password)
        .where(sa.or_(camera.c.username.is_not(None), camera.c.password.is_not(None)))
    )
    for row_id, uri, user, password in rows.all():
        scheme = re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", uri)
        if scheme is None:
            continue
        userinfo = (user or "") + (f":{password}" if password else "")
        bind.execute(camera.update().where(camera.c.id == row_id).values(
            source_uri=f"{scheme.group(0)}{userinfo}@{uri[scheme.end():]}"))
    with op.batch_alter_table('camera') as batch:
        batch.drop_column('password')
        batch.drop_column('username')
