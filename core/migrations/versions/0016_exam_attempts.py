"""exam attempts: papers that people sit on the server. A paper becomes a rule set
(``exam_paper_rule``: per category and kind how many questions and their points) with
attempts allowed, a grace period after the deadline, whether answers show after submission
and the multiple-choice partial-credit rule; questions gain a category and the fill-in kind;
each attempt (``exam_attempt``) holds its server-side deadline and state, and its drawn
paper (``attempt_item``): the question at each place, the option order shown, the answer
saved and the marks.

Existing papers keep their meaning: one attempt, 60 s grace, no partial credit, answers not
shown. On the way down fill-in questions become short answers (graded by hand).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 02:10:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


# revision identifiers, used by Alembic.
revision: str = '0016'
down_revision: Union[str, Sequence[str], None] = '0015'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

KINDS_BEFORE = ('SINGLE', 'MULTIPLE', 'TRUE_FALSE', 'SHORT_ANSWER')
KINDS_AFTER = (*KINDS_BEFORE, 'FILL_IN')
QUESTION_KIND = sa.Enum(*KINDS_AFTER, name='questionkind')
PARTIAL_CREDIT = sa.Enum('NONE', 'PROPORTIONAL', 'HALF_IF_SUBSET', name='partialcredit')
ATTEMPT_STATE = sa.Enum('IN_PROGRESS', 'SUBMITTED', 'GRADED', name='attemptstate')


def _retype_kind(values: tuple[str, ...], mapping: dict[str, str]) -> None:
    """Give ``question.kind`` the enum ``values`` (PostgreSQL's native type is rebuilt, since
    a value cannot be dropped from it), mapping the retired values first. SQLite stores the
    names as text of the longest name's length, which does not change."""
    for old, new in mapping.items():
        op.execute(f"UPDATE question SET kind = '{new}' WHERE kind = '{old}'")
        op.execute(f"UPDATE exam_paper_rule SET kind = '{new}' WHERE kind = '{old}'")
    if op.get_bind().dialect.name != 'postgresql':
        return
    listed = ', '.join(f"'{v}'" for v in values)
    op.execute('ALTER TYPE questionkind RENAME TO questionkind_old')
    op.execute(f'CREATE TYPE questionkind AS ENUM ({listed})')
    for table in ('question', 'exam_paper_rule'):
        op.execute(f'ALTER TABLE {table} ALTER COLUMN kind TYPE questionkind '
                   'USING kind::text::questionkind')
    op.execute('DROP TYPE questionkind_old')


def upgrade() -> None:
    """Upgrade schema."""
    bind = op.get_bind()
    PARTIAL_CREDIT.create(bind, checkfirst=True)  # add_column does not create the type
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.add_column(sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True))
        batch_op.create_index(batch_op.f('ix_question_category'), ['category'], unique=False)
    with op.batch_alter_table('exam_paper', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attempts_allowed', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('grace_seconds', sa.Integer(), nullable=False, server_default='60'))
        batch_op.add_column(sa.Column('show_answers_after_submit', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('partial_credit', PARTIAL_CREDIT, nullable=False, server_default='NONE'))
    with op.batch_alter_table('exam_paper', schema=None) as batch_op:
        for column in ('attempts_allowed', 'grace_seconds', 'show_answers_after_submit', 'partial_credit'):
            batch_op.alter_column(column, server_default=None)

    op.create_table('exam_paper_rule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('deleted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('extra', sa.JSON(), nullable=False),
    sa.Column('paper_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True),
    sa.Column('kind', sa.Enum(*KINDS_BEFORE, name='questionkind', create_type=False), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('points_each', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['paper_id'], ['exam_paper.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('exam_paper_rule', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exam_paper_rule_created_by'), ['created_by'], unique=False)
        batch_op.create_index(batch_op.f('ix_exam_paper_rule_deleted_at'), ['deleted_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_exam_paper_rule_paper_id'), ['paper_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_exam_paper_rule_kind'), ['kind'], unique=False)
    _retype_kind(KINDS_AFTER, {})

    op.create_table('exam_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('deleted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('extra', sa.JSON(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('paper_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('attempt_no', sa.Integer(), nullable=False),
    sa.Column('started_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('deadline_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('submitted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('auto_submitted', sa.Boolean(), nullable=False),
    sa.Column('state', ATTEMPT_STATE, nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('passed', sa.Boolean(), nullable=True),
    sa.Column('exam_record_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], ),
    sa.ForeignKeyConstraint(['exam_record_id'], ['exam_record.id'], ),
    sa.ForeignKeyConstraint(['paper_id'], ['exam_paper.id'], ),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('paper_id', 'person_id', 'attempt_no')
    )
    with op.batch_alter_table('exam_attempt', schema=None) as batch_op:
        for column in ('created_by', 'deleted_at', 'enterprise_id', 'department_id', 'paper_id',
                       'person_id', 'started_at', 'deadline_at', 'state', 'passed'):
            batch_op.create_index(batch_op.f(f'ix_exam_attempt_{column}'), [column], unique=False)

    op.create_table('attempt_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('deleted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('extra', sa.JSON(), nullable=False),
    sa.Column('attempt_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('option_order', sa.JSON(), nullable=False),
    sa.Column('answer_given', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('saved_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('points', sa.Float(), nullable=False),
    sa.Column('awarded', sa.Float(), nullable=True),
    sa.Column('graded_by', sa.Integer(), nullable=True),
    sa.Column('graded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('final', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['attempt_id'], ['exam_attempt.id'], ),
    sa.ForeignKeyConstraint(['question_id'], ['question.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('attempt_id', 'position')
    )
    with op.batch_alter_table('attempt_item', schema=None) as batch_op:
        for column in ('created_by', 'deleted_at', 'attempt_id', 'question_id'):
            batch_op.create_index(batch_op.f(f'ix_attempt_item_{column}'), [column], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('attempt_item', schema=None) as batch_op:
        for column in ('question_id', 'attempt_id', 'deleted_at', 'created_by'):
            batch_op.drop_index(batch_op.f(f'ix_attempt_item_{column}'))
    op.drop_table('attempt_item')
    with op.batch_alter_table('exam_attempt', schema=None) as batch_op:
        for column in ('passed', 'state', 'deadline_at', 'started_at', 'person_id', 'paper_id',
                       'department_id', 'enterprise_id', 'deleted_at', 'created_by'):
            batch_op.drop_index(batch_op.f(f'ix_exam_attempt_{column}'))
    op.drop_table('exam_attempt')
    _retype_kind(KINDS_BEFORE, {'FILL_IN': 'SHORT_ANSWER'})
    with op.batch_alter_table('exam_paper_rule', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exam_paper_rule_kind'))
        batch_op.drop_index(batch_op.f('ix_exam_paper_rule_paper_id'))
        batch_op.drop_index(batch_op.f('ix_exam_paper_rule_deleted_at'))
        batch_op.drop_index(batch_op.f('ix_exam_paper_rule_created_by'))
    op.drop_table('exam_paper_rule')
    with op.batch_alter_table('exam_paper', schema=None) as batch_op:
        batch_op.drop_column('partial_credit')
        batch_op.drop_column('show_answers_after_submit')
        batch_op.drop_column('grace_seconds')
        batch_op.drop_column('attempts_allowed')
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_question_category'))
        batch_op.drop_column('category')
    # PostgreSQL keeps the native enum types after their columns are gone.
    for enum in (ATTEMPT_STATE, PARTIAL_CREDIT):
        enum.drop(op.get_bind(), checkfirst=True)
