"""Hazard register (隐患台账): the list, and under each hazard its workflow steps."""

from functools import partial

from core.hazard.flow import HAZARD_FLOW
from core.ui.crud_page import render_table_page
from core.ui.workflow_panel import render_workflow

render_table_page("hazard", detail_extra=partial(render_workflow, wf=HAZARD_FLOW))
