"""exam_paper_rule (training module): a rule-set paper's lines, opened from the paper."""

from core.ui.crud_page import render_table_page

render_table_page("exam_paper_rule")
