"""mine, workflows and reminders: who a published document is for (document_audience), the
deliveries of notices by e-mail and webhook, a notice's occasion (the due date it reminds
of), users' e-mail and channel choices; the states the new workflows need (emergency plans
reviewed, published and superseded; training plans approved; contractor violations notified
and rectified; self-assessments drafted, submitted and reviewed; published states for
articles, courses, response checklists and external contacts); the columns the steps fill
(corrective actions' completion and drill link, drills' findings, duty tasks' submitter,
plans' predecessor and next drill due, contractor workers' person).

Existing rows keep their meaning: documents everyone could read are published, the plans in
force are published, a "confirmed" violation is "notified", a "published" training plan is
"approved", an "expired" supply gets its stock status (expiry is read from its date now),
past years' self-assessments are reviewed, anonymous near misses lose their reporter.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 19:39:30.979108

"""
from datetime import date, timedelta
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


# revision identifiers, used by Alembic.
revision: str = '0012'
down_revision: Union[str, Sequence[str], None] = '0011'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

DOCUMENT_STATE = sa.Enum('DRAFT', 'PUBLISHED', 'WITHDRAWN', name='documentstate')
ASSESSMENT_STATE = sa.Enum('DRAFT', 'SUBMITTED', 'REVIEWED', name='assessmentstate')
PUBLISHED_TABLES = ('kb_document', 'training_course', 'response_checklist', 'external_contact')
#: (table, column, enum type, values after, old → new) for the state sets that changed.
RETYPED = (
    ('contractor_violation', 'state', 'contractorviolationstate',
     ('RECORDED', 'NOTIFIED', 'RECTIFIED', 'APPEALED', 'REVOKED', 'CLOSED'),
     {'CONFIRMED': 'NOTIFIED'}),
    ('training_plan', 'state', 'trainingplanstate',
     ('DRAFT', 'APPROVED', 'IN_PROGRESS', 'COMPLETED', 'CANCELLED'),
     {'PUBLISHED': 'APPROVED'}),
    ('emergency_plan', 'state', 'emergencyplanstate',
     ('DRAFT', 'UNDER_REVIEW', 'APPROVED', 'PUBLISHED', 'SUPERSEDED'),
     {'APPROVED': 'PUBLISHED', 'OBSOLETE': 'SUPERSEDED'}),
    ('emergency_supply', 'status', 'emergencysupplystatus', ('NORMAL', 'LOW'),
     {'EXPIRED': "CASE WHEN quantity < min_stock THEN 'LOW' ELSE 'NORMAL' END"}),
)
#: The values before, for the downgrade (and the way back).
BEFORE = {
    'contractorviolationstate': (('RECORDED', 'CONFIRMED', 'APPEALED', 'REVOKED', 'CLOSED'),
                                 {'NOTIFIED': 'CONFIRMED', 'RECTIFIED': 'CONFIRMED'}),
    'trainingplanstate': (('DRAFT', 'PUBLISHED', 'IN_PROGRESS', 'COMPLETED', 'CANCELLED'),
                          {'APPROVED': 'PUBLISHED'}),
    'emergencyplanstate': (('DRAFT', 'APPROVED', 'OBSOLETE'),
                           {'UNDER_REVIEW': 'DRAFT', 'PUBLISHED': 'APPROVED',
                            'SUPERSEDED': 'OBSOLETE'}),
    'emergencysupplystatus': (('NORMAL', 'EXPIRED', 'LOW'), {}),
}
#: 《生产安全事故应急预案管理办法》 art. 33: yearly, on-site disposal plans half-yearly.
DRILL_INTERVAL_DAYS = {'COMPREHENSIVE': 365, 'SPECIAL': 365, 'ON_SITE': 182}


def _quoted(value: str) -> str:
    return value if value.startswith('CASE ') else f"'{value}'"


def _retype(table: str, column: str, name: str, values: tuple[str, ...],
            mapping: dict[str, str]) -> None:
    """Give ``table.column`` the enum ``values``, mapping the retired ones first."""
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        cases = ' '.join(f"WHEN '{old}' THEN {_quoted(new)}" for old, new in mapping.items())
        using = f"(CASE {column}::text {cases} ELSE {column}::text END)" if cases else f"{column}::text"
        listed = ', '.join(f"'{v}'" for v in values)
        op.execute(f'ALTER TYPE {name} RENAME TO {name}_old')
        op.execute(f'CREATE TYPE {name} AS ENUM ({listed})')
        op.execute(f'ALTER TABLE {table} ALTER COLUMN {column} TYPE {name} USING {using}::{name}')
        op.execute(f'DROP TYPE {name}_old')
        return
    for old, new in mapping.items():
        op.execute(f"UPDATE {table} SET {column} = {_quoted(new)} WHERE {column} = '{old}'")
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.alter_column(column, existing_type=sa.String(), type_=sa.Enum(*values, name=name),
                              existing_nullable=False)


def _next_drills_due() -> None:
    """Each plan in force is due for a drill one interval after its last drill held (or after
    it took effect); the steps keep it current from now on."""
    bind = op.get_bind()
    last = dict(bind.execute(sa.text(
        "SELECT plan_id, max(held_on) FROM drill WHERE held_on IS NOT NULL "
        "AND state IN ('HELD', 'EVALUATED') AND deleted_at IS NULL GROUP BY plan_id")).all())
    plans = bind.execute(sa.text(
        "SELECT id, kind, effective_on FROM emergency_plan "
        "WHERE state IN ('APPROVED', 'PUBLISHED') AND deleted_at IS NULL")).all()
    updates = []
    for plan_id, kind, effective_on in plans:
        start = last.get(plan_id) or effective_on
        if isinstance(start, str):
            start = date.fromisoformat(start[:10])
        if start is not None:
            updates.append({'id': plan_id,
                            'due': start + timedelta(days=DRILL_INTERVAL_DAYS[str(kind)])})
    if updates:
        bind.execute(sa.text("UPDATE emergency_plan SET next_drill_due = :due WHERE id = :id"),
                     updates)


def upgrade() -> None:
    """Upgrade schema."""
    bind = op.get_bind()
    op.create_table('document_audience',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('table_name', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
    sa.Column('row_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('post_id', sa.Integer(), nullable=True),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ),
    sa.ForeignKeyConstraint(['post_id'], ['post.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('document_audience', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_audience_row_id'), ['row_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_document_audience_table_name'), ['table_name'], unique=False)

    op.create_table('delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notification_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('target', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('state', sa.Enum('PENDING', 'SENT', 'FAILED', name='deliverystate'), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('next_attempt_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('sent_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['notification_id'], ['notification.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('notification_id', 'channel', 'target')
    )
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delivery_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_delivery_enterprise_id'), ['enterprise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_delivery_next_attempt_at'), ['next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_delivery_notification_id'), ['notification_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_delivery_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_delivery_user_id'), ['user_id'], unique=False)

    DOCUMENT_STATE.create(bind, checkfirst=True)
    ASSESSMENT_STATE.create(bind, checkfirst=True)
    for table in PUBLISHED_TABLES:  # everyone could read them before: they stay readable
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('state', DOCUMENT_STATE, nullable=False,
                                          server_default='PUBLISHED'))
            batch_op.create_index(batch_op.f(f'ix_{table}_state'), ['state'], unique=False)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('state', existing_type=DOCUMENT_STATE, server_default=None)

    with op.batch_alter_table('assessment_result', schema=None) as batch_op:
        batch_op.add_column(sa.Column('state', ASSESSMENT_STATE, nullable=False,
                                      server_default='DRAFT'))
        batch_op.create_index(batch_op.f('ix_assessment_result_state'), ['state'], unique=False)
    with op.batch_alter_table('assessment_result', schema=None) as batch_op:
        batch_op.alter_column('state', existing_type=ASSESSMENT_STATE, server_default=None)
    op.execute(f"UPDATE assessment_result SET state = 'REVIEWED' "
               f"WHERE period < '{date.today().year}'")

    with op.batch_alter_table('contractor_worker', schema=None) as batch_op:
        batch_op.add_column(sa.Column('person_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_contractor_worker_person_id'), ['person_id'], unique=False)
        batch_op.create_foreign_key('fk_contractor_worker_person_id', 'person', ['person_id'], ['id'])

    with op.batch_alter_table('corrective_action', schema=None) as batch_op:
        batch_op.add_column(sa.Column('drill_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('completion', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True))
        batch_op.add_column(sa.Column('completed_by', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('completed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_corrective_action_completed_by'), ['completed_by'], unique=False)
        batch_op.create_index(batch_op.f('ix_corrective_action_drill_id'), ['drill_id'], unique=False)
        batch_op.create_foreign_key('fk_corrective_action_completed_by', 'user', ['completed_by'], ['id'])
        batch_op.create_foreign_key('fk_corrective_action_drill_id', 'drill', ['drill_id'], ['id'])

    with op.batch_alter_table('drill', schema=None) as batch_op:
        batch_op.add_column(sa.Column('findings', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True))
        batch_op.add_column(sa.Column('action_owner_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('action_deadline', sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f('ix_drill_action_owner_id'), ['action_owner_id'], unique=False)
        batch_op.create_foreign_key('fk_drill_action_owner_id', 'person', ['action_owner_id'], ['id'])

    with op.batch_alter_table('duty_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('submitted_by', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_duty_task_submitted_by'), ['submitted_by'], unique=False)
        batch_op.create_foreign_key('fk_duty_task_submitted_by', 'user', ['submitted_by'], ['id'])
    op.execute("UPDATE duty_task SET on_time = NULL WHERE state <> 'APPROVED'")

    with op.batch_alter_table('emergency_plan', schema=None) as batch_op:
        batch_op.add_column(sa.Column('replaces_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('next_drill_due', sa.Date(), nullable=True))
        batch_op.alter_column('version', existing_type=sa.VARCHAR(length=20), nullable=True)
        batch_op.create_index(batch_op.f('ix_emergency_plan_next_drill_due'), ['next_drill_due'], unique=False)
        batch_op.create_index(batch_op.f('ix_emergency_plan_replaces_id'), ['replaces_id'], unique=False)
        batch_op.create_foreign_key('fk_emergency_plan_replaces_id', 'emergency_plan', ['replaces_id'], ['id'])

    for table, column, name, values, mapping in RETYPED:
        _retype(table, column, name, values, mapping)
    _next_drills_due()
    op.execute("UPDATE incident SET created_by = NULL WHERE anonymous")

    # The old (user, key, record) uniqueness was unnamed; name it to replace it.
    with op.batch_alter_table('notification', schema=None, naming_convention={
            'uq': 'uq_%(table_name)s_%(column_0_N_name)s'}) as batch_op:
        batch_op.add_column(sa.Column('occasion', sqlmodel.sql.sqltypes.AutoString(length=20),
                                      nullable=False, server_default=''))
        batch_op.drop_constraint(_old_notice_key(), type_='unique')
        batch_op.create_unique_constraint(
            'uq_notification_user_key_row_occasion',
            ['user_id', 'key', 'table_name', 'row_id', 'occasion'])
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.alter_column('occasion', existing_type=sqlmodel.sql.sqltypes.AutoString(length=20),
                              server_default=None)

    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
        batch_op.add_column(sa.Column('notify_prefs', sa.JSON(), nullable=False, server_default='{}'))
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.alter_column('notify_prefs', existing_type=sa.JSON(), server_default=None)


def _old_notice_key() -> str:
    """The unnamed (user_id, key, table_name, row_id) constraint: PostgreSQL's default name,
    or the batch naming convention's on SQLite."""
    if op.get_bind().dialect.name == 'postgresql':
        return 'notification_user_id_key_table_name_row_id_key'
    return 'uq_notification_user_id_key_table_name_row_id'


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('notify_prefs')
        batch_op.drop_column('email')

    op.execute("DELETE FROM notification WHERE occasion <> '' AND id NOT IN ("
               "SELECT min(id) FROM notification GROUP BY user_id, key, table_name, row_id)")
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_constraint('uq_notification_user_key_row_occasion', type_='unique')
        batch_op.drop_column('occasion')
        batch_op.create_unique_constraint(_old_notice_key(),
                                          ['user_id', 'key', 'table_name', 'row_id'])

    for table, column, name, _values, _mapping in RETYPED:
        values, mapping = BEFORE[name]
        _retype(table, column, name, values, mapping)

    with op.batch_alter_table('emergency_plan', schema=None) as batch_op:
        batch_op.drop_constraint('fk_emergency_plan_replaces_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_emergency_plan_replaces_id'))
        batch_op.drop_index(batch_op.f('ix_emergency_plan_next_drill_due'))
        batch_op.drop_column('next_drill_due')
        batch_op.drop_column('replaces_id')
    op.execute("UPDATE emergency_plan SET version = 'V1.0' WHERE version IS NULL")
    with op.batch_alter_table('emergency_plan', schema=None) as batch_op:
        batch_op.alter_column('version', existing_type=sa.VARCHAR(length=20), nullable=False)

    with op.batch_alter_table('duty_task', schema=None) as batch_op:
        batch_op.drop_constraint('fk_duty_task_submitted_by', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_duty_task_submitted_by'))
        batch_op.drop_column('submitted_by')

    with op.batch_alter_table('drill', schema=None) as batch_op:
        batch_op.drop_constraint('fk_drill_action_owner_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_drill_action_owner_id'))
        batch_op.drop_column('action_deadline')
        batch_op.drop_column('action_owner_id')
        batch_op.drop_column('findings')

    with op.batch_alter_table('corrective_action', schema=None) as batch_op:
        batch_op.drop_constraint('fk_corrective_action_drill_id', type_='foreignkey')
        batch_op.drop_constraint('fk_corrective_action_completed_by', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_corrective_action_drill_id'))
        batch_op.drop_index(batch_op.f('ix_corrective_action_completed_by'))
        batch_op.drop_column('completed_at')
        batch_op.drop_column('completed_by')
        batch_op.drop_column('completion')
        batch_op.drop_column('drill_id')

    with op.batch_alter_table('contractor_worker', schema=None) as batch_op:
        batch_op.drop_constraint('fk_contractor_worker_person_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_contractor_worker_person_id'))
        batch_op.drop_column('person_id')

    with op.batch_alter_table('assessment_result', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessment_result_state'))
        batch_op.drop_column('state')
    for table in PUBLISHED_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{table}_state'))
            batch_op.drop_column('state')

    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delivery_user_id'))
        batch_op.drop_index(batch_op.f('ix_delivery_state'))
        batch_op.drop_index(batch_op.f('ix_delivery_notification_id'))
        batch_op.drop_index(batch_op.f('ix_delivery_next_attempt_at'))
        batch_op.drop_index(batch_op.f('ix_delivery_enterprise_id'))
        batch_op.drop_index(batch_op.f('ix_delivery_created_at'))
    op.drop_table('delivery')
    with op.batch_alter_table('document_audience', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_audience_table_name'))
        batch_op.drop_index(batch_op.f('ix_document_audience_row_id'))
    op.drop_table('document_audience')
    # PostgreSQL keeps the native enum types after their tables are gone.
    for enum in (DOCUMENT_STATE, ASSESSMENT_STATE, sa.Enum(name='deliverystate')):
        enum.drop(op.get_bind(), checkfirst=True)
