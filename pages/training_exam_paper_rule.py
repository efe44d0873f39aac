"""exam_paper_rule (training module): a rule-set paper's lines, opened from the paper."""

from core.ui.crud_page import render_table_page
from core.ui.training.offline import paper_points_warning

render_table_page("exam_paper_rule", detail_extra=paper_points_warning)
