"""exam_paper (training module)."""

from core.ui.crud_page import render_table_page
from core.ui.training.offline import paper_points_warning

render_table_page("exam_paper", detail_extra=paper_points_warning)
