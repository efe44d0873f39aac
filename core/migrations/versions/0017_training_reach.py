"""training that reaches people: plan items (a course for a department, post, role, new
hires, a contractor company or the enterprise) and the assignments they create; course
materials and the study time the server counted; the wrong-answer book, practice answers and
the points ledger. Courses gain their three-level education level; papers can issue a
certificate valid for some months and can be a contractor's entry exam; exam records say
whether they were sat offline; training records and certificates name the exam they came
from; contractor workers keep the score of the exam that passed them.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 04:05:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


# revision identifiers, used by Alembic.
revision: str = '0017'
down_revision: Union[str, Sequence[str], None] = '0016'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

EDUCATION_LEVEL = sa.Enum('PLANT', 'WORKSHOP', 'TEAM', name='educationlevel')
NEW_TYPES = ('materialkind', 'pointsreason', 'practicemode', 'plantarget', 'assignmentsource',
             'assignmentstate', 'educationlevel')


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('course_material',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('deleted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('extra', sa.JSON(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('kind', sa.Enum('PDF', 'VIDEO', 'IMAGE', 'TEXT', name='materialkind'), nullable=False),
    sa.Column('body', sqlmodel.sql.sqltypes.AutoString(length=20000), nullable=True),
    sa.Column('min_minutes', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['training_course.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('course_material', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_course_material_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_course_material_created_by'), ['created_by'], unique=False)
        batch_op.create_index(batch_op.f('ix_course_material_deleted_at'), ['deleted_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_course_material_kind'), ['kind'], unique=False)

    op.create_table('points_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('deleted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('extra', sa.JSON(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Enum('STUDY', 'EXAM_PASSED', 'PRACTICE', name='pointsreason'), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('ref_table', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('ref_id', sa.Integer(), nullable=False),
    sa.Column('earned_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], ),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('person_id', 'reason', 'ref_table', 'ref_id')
    )
    with op.batch_alter_table('points_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_points_entry_created_by'), ['created_by'], unique=False)
        batch_op.create_index(batch_op.f('ix_points_entry_deleted_at'), ['deleted_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_points_entry_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_points_entry_earned_at'), ['earned_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_points_entry_enterprise_id'), ['enterprise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_points_entry_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_points_entry_reason'), ['reason'], unique=False)

    op.create_table('practice_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('deleted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('extra', sa.JSON(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('mode', sa.Enum('WRONG_BOOK', 'CATEGORY', 'RANDOM', name='practicemode'), nullable=False),
    sa.Column('given', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('correct', sa.Boolean(), nullable=False),
    sa.Column('answered_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], ),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
    sa.ForeignKeyConstraint(['question_id'], ['question.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('practice_answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_practice_answer_answered_at'), ['answered_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_practice_answer_correct'), ['correct'], unique=False)
        batch_op.create_index(batch_op.f('ix_practice_answer_created_by'), ['created_by'], unique=False)
        batch_op.create_index(batch_op.f('ix_practice_answer_deleted_at'), ['deleted_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_practice_answer_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_practice_answer_enterprise_id'), ['enterprise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_practice_answer_mode'), ['mode'], unique=False)
        batch_op.create_index(batch_op.f('ix_practice_answer_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_practice_answer_question_id'), ['question_id'], unique=False)

    op.create_table('study_progress',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('deleted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('extra', sa.JSON(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('material_id', sa.Integer(), nullable=False),
    sa.Column('seconds', sa.Integer(), nullable=False),
    sa.Column('last_beat_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('completed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['course_id'], ['training_course.id'], ),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], ),
    sa.ForeignKeyConstraint(['material_id'], ['course_material.id'], ),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('person_id', 'material_id')
    )
    with op.batch_alter_table('study_progress', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_study_progress_completed_at'), ['completed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_study_progress_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_study_progress_created_by'), ['created_by'], unique=False)
        batch_op.create_index(batch_op.f('ix_study_progress_deleted_at'), ['deleted_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_study_progress_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_study_progress_enterprise_id'), ['enterprise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_study_progress_material_id'), ['material_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_study_progress_person_id'), ['person_id'], unique=False)

    op.create_table('training_plan_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('deleted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('extra', sa.JSON(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('target', sa.Enum('ENTERPRISE', 'DEPARTMENT', 'POST', 'ROLE', 'NEW_HIRES', 'CONTRACTOR', name='plantarget'), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('post_id', sa.Integer(), nullable=True),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
    sa.Column('contractor_id', sa.Integer(), nullable=True),
    sa.Column('hired_within_days', sa.Integer(), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('due_days', sa.Integer(), nullable=False),
    sa.Column('follow_joiners', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['contractor_id'], ['contractor.id'], ),
    sa.ForeignKeyConstraint(['course_id'], ['training_course.id'], ),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ),
    sa.ForeignKeyConstraint(['plan_id'], ['training_plan.id'], ),
    sa.ForeignKeyConstraint(['post_id'], ['post.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('training_plan_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_plan_item_contractor_id'), ['contractor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_plan_item_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_plan_item_created_by'), ['created_by'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_plan_item_deleted_at'), ['deleted_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_plan_item_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_plan_item_plan_id'), ['plan_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_plan_item_post_id'), ['post_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_plan_item_target'), ['target'], unique=False)

    op.create_table('training_assignment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('deleted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('extra', sa.JSON(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=True),
    sa.Column('plan_item_id', sa.Integer(), nullable=True),
    sa.Column('source', sa.Enum('PLAN', 'JOINER', 'MANUAL', name='assignmentsource'), nullable=False),
    sa.Column('assigned_on', sa.Date(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('state', sa.Enum('ASSIGNED', 'IN_PROGRESS', 'COMPLETED', 'WAIVED', name='assignmentstate'), nullable=False),
    sa.Column('completed_on', sa.Date(), nullable=True),
    sa.Column('record_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['course_id'], ['training_course.id'], ),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], ),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
    sa.ForeignKeyConstraint(['plan_id'], ['training_plan.id'], ),
    sa.ForeignKeyConstraint(['plan_item_id'], ['training_plan_item.id'], ),
    sa.ForeignKeyConstraint(['record_id'], ['training_record.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('person_id', 'course_id', 'plan_item_id')
    )
    with op.batch_alter_table('training_assignment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_assignment_assigned_on'), ['assigned_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_assignment_completed_on'), ['completed_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_assignment_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_assignment_created_by'), ['created_by'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_assignment_deleted_at'), ['deleted_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_assignment_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_assignment_due_on'), ['due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_assignment_enterprise_id'), ['enterprise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_assignment_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_assignment_plan_id'), ['plan_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_assignment_plan_item_id'), ['plan_item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_assignment_source'), ['source'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_assignment_state'), ['state'], unique=False)

    op.create_table('wrong_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('deleted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('extra', sa.JSON(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('times_wrong', sa.Integer(), nullable=False),
    sa.Column('last_wrong_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('last_given', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('attempt_id', sa.Integer(), nullable=True),
    sa.Column('right_in_practice', sa.Integer(), nullable=False),
    sa.Column('mastered_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['attempt_id'], ['exam_attempt.id'], ),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], ),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
    sa.ForeignKeyConstraint(['question_id'], ['question.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('person_id', 'question_id')
    )
    with op.batch_alter_table('wrong_answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wrong_answer_created_by'), ['created_by'], unique=False)
        batch_op.create_index(batch_op.f('ix_wrong_answer_deleted_at'), ['deleted_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_wrong_answer_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_wrong_answer_enterprise_id'), ['enterprise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_wrong_answer_last_wrong_at'), ['last_wrong_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_wrong_answer_mastered_at'), ['mastered_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_wrong_answer_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_wrong_answer_question_id'), ['question_id'], unique=False)

    with op.batch_alter_table('contractor_worker', schema=None) as batch_op:
        batch_op.add_column(sa.Column('exam_score', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('exam_record_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_contractor_worker_exam_record_id', 'exam_record', ['exam_record_id'], ['id'])

    with op.batch_alter_table('exam_paper', schema=None) as batch_op:
        batch_op.add_column(sa.Column('certificate_months', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('contractor_entry', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_index(batch_op.f('ix_exam_paper_contractor_entry'), ['contractor_entry'], unique=False)

    with op.batch_alter_table('exam_record', schema=None) as batch_op:
        batch_op.add_column(sa.Column('offline', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_index(batch_op.f('ix_exam_record_offline'), ['offline'], unique=False)

    with op.batch_alter_table('training_certificate', schema=None) as batch_op:
        batch_op.add_column(sa.Column('exam_record_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_training_certificate_exam_record_id'), ['exam_record_id'], unique=False)
        batch_op.create_foreign_key('fk_training_certificate_exam_record_id', 'exam_record', ['exam_record_id'], ['id'])

    EDUCATION_LEVEL.create(op.get_bind(), checkfirst=True)  # add_column does not create the type
    with op.batch_alter_table('training_course', schema=None) as batch_op:
        batch_op.add_column(sa.Column('level', EDUCATION_LEVEL, nullable=True))
        batch_op.create_index(batch_op.f('ix_training_course_level'), ['level'], unique=False)

    with op.batch_alter_table('training_record', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assignment_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('exam_record_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_training_record_assignment_id'), ['assignment_id'], unique=False)
        batch_op.create_foreign_key('fk_training_record_exam_record_id', 'exam_record', ['exam_record_id'], ['id'])
    for table, column in (('exam_paper', 'contractor_entry'), ('exam_record', 'offline')):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column, server_default=None)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('training_record', schema=None) as batch_op:
        batch_op.drop_constraint('fk_training_record_exam_record_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_training_record_assignment_id'))
        batch_op.drop_column('exam_record_id')
        batch_op.drop_column('assignment_id')

    with op.batch_alter_table('training_course', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_course_level'))
        batch_op.drop_column('level')

    with op.batch_alter_table('training_certificate', schema=None) as batch_op:
        batch_op.drop_constraint('fk_training_certificate_exam_record_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_training_certificate_exam_record_id'))
        batch_op.drop_column('exam_record_id')

    with op.batch_alter_table('exam_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exam_record_offline'))
        batch_op.drop_column('offline')

    with op.batch_alter_table('exam_paper', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exam_paper_contractor_entry'))
        batch_op.drop_column('contractor_entry')
        batch_op.drop_column('certificate_months')

    with op.batch_alter_table('contractor_worker', schema=None) as batch_op:
        batch_op.drop_constraint('fk_contractor_worker_exam_record_id', type_='foreignkey')
        batch_op.drop_column('exam_record_id')
        batch_op.drop_column('exam_score')

    with op.batch_alter_table('wrong_answer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_wrong_answer_question_id'))
        batch_op.drop_index(batch_op.f('ix_wrong_answer_person_id'))
        batch_op.drop_index(batch_op.f('ix_wrong_answer_mastered_at'))
        batch_op.drop_index(batch_op.f('ix_wrong_answer_last_wrong_at'))
        batch_op.drop_index(batch_op.f('ix_wrong_answer_enterprise_id'))
        batch_op.drop_index(batch_op.f('ix_wrong_answer_department_id'))
        batch_op.drop_index(batch_op.f('ix_wrong_answer_deleted_at'))
        batch_op.drop_index(batch_op.f('ix_wrong_answer_created_by'))

    op.drop_table('wrong_answer')
    with op.batch_alter_table('training_assignment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_assignment_state'))
        batch_op.drop_index(batch_op.f('ix_training_assignment_source'))
        batch_op.drop_index(batch_op.f('ix_training_assignment_plan_item_id'))
        batch_op.drop_index(batch_op.f('ix_training_assignment_plan_id'))
        batch_op.drop_index(batch_op.f('ix_training_assignment_person_id'))
        batch_op.drop_index(batch_op.f('ix_training_assignment_enterprise_id'))
        batch_op.drop_index(batch_op.f('ix_training_assignment_due_on'))
        batch_op.drop_index(batch_op.f('ix_training_assignment_department_id'))
        batch_op.drop_index(batch_op.f('ix_training_assignment_deleted_at'))
        batch_op.drop_index(batch_op.f('ix_training_assignment_created_by'))
        batch_op.drop_index(batch_op.f('ix_training_assignment_course_id'))
        batch_op.drop_index(batch_op.f('ix_training_assignment_completed_on'))
        batch_op.drop_index(batch_op.f('ix_training_assignment_assigned_on'))

    op.drop_table('training_assignment')
    with op.batch_alter_table('training_plan_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_plan_item_target'))
        batch_op.drop_index(batch_op.f('ix_training_plan_item_post_id'))
        batch_op.drop_index(batch_op.f('ix_training_plan_item_plan_id'))
        batch_op.drop_index(batch_op.f('ix_training_plan_item_department_id'))
        batch_op.drop_index(batch_op.f('ix_training_plan_item_deleted_at'))
        batch_op.drop_index(batch_op.f('ix_training_plan_item_created_by'))
        batch_op.drop_index(batch_op.f('ix_training_plan_item_course_id'))
        batch_op.drop_index(batch_op.f('ix_training_plan_item_contractor_id'))

    op.drop_table('training_plan_item')
    with op.batch_alter_table('study_progress', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_study_progress_person_id'))
        batch_op.drop_index(batch_op.f('ix_study_progress_material_id'))
        batch_op.drop_index(batch_op.f('ix_study_progress_enterprise_id'))
        batch_op.drop_index(batch_op.f('ix_study_progress_department_id'))
        batch_op.drop_index(batch_op.f('ix_study_progress_deleted_at'))
        batch_op.drop_index(batch_op.f('ix_study_progress_created_by'))
        batch_op.drop_index(batch_op.f('ix_study_progress_course_id'))
        batch_op.drop_index(batch_op.f('ix_study_progress_completed_at'))

    op.drop_table('study_progress')
    with op.batch_alter_table('practice_answer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_practice_answer_question_id'))
        batch_op.drop_index(batch_op.f('ix_practice_answer_person_id'))
        batch_op.drop_index(batch_op.f('ix_practice_answer_mode'))
        batch_op.drop_index(batch_op.f('ix_practice_answer_enterprise_id'))
        batch_op.drop_index(batch_op.f('ix_practice_answer_department_id'))
        batch_op.drop_index(batch_op.f('ix_practice_answer_deleted_at'))
        batch_op.drop_index(batch_op.f('ix_practice_answer_created_by'))
        batch_op.drop_index(batch_op.f('ix_practice_answer_correct'))
        batch_op.drop_index(batch_op.f('ix_practice_answer_answered_at'))

    op.drop_table('practice_answer')
    with op.batch_alter_table('points_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_points_entry_reason'))
        batch_op.drop_index(batch_op.f('ix_points_entry_person_id'))
        batch_op.drop_index(batch_op.f('ix_points_entry_enterprise_id'))
        batch_op.drop_index(batch_op.f('ix_points_entry_earned_at'))
        batch_op.drop_index(batch_op.f('ix_points_entry_department_id'))
        batch_op.drop_index(batch_op.f('ix_points_entry_deleted_at'))
        batch_op.drop_index(batch_op.f('ix_points_entry_created_by'))

    op.drop_table('points_entry')
    with op.batch_alter_table('course_material', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_course_material_kind'))
        batch_op.drop_index(batch_op.f('ix_course_material_deleted_at'))
        batch_op.drop_index(batch_op.f('ix_course_material_created_by'))
        batch_op.drop_index(batch_op.f('ix_course_material_course_id'))

    op.drop_table('course_material')
    # PostgreSQL keeps the native enum types after their columns are gone.
    if op.get_bind().dialect.name == 'postgresql':
        for name in NEW_TYPES:
            op.execute(f'DROP TYPE IF EXISTS {name}')
