"""工作台 / Workbench: the pages a worker opens every day, at the top of the navigation after
home (``core.ui.nav.HOME``, the to-do list). Each page's module and action decide who sees
it, like every other page; the "my …" pages list the viewer's own records
(``core.mine.mine_rows``) and say so plainly for an account without a person.

``PageDef`` comes from ``core.ui.pagedef``, not from ``core.ui.nav``, which reads this
module (the acyclic-siblings contract).
"""

from __future__ import annotations

from core.ui.pagedef import PageDef
from models.enums import Action, Module

GROUP = "nav.workbench"

WORKBENCH_PAGES: tuple[PageDef, ...] = (
    PageDef("pages/hazard_report.py", "page.hazard_report", GROUP, Module.HAZARD, Action.CREATE),
    PageDef("pages/risk_my_tasks.py", "page.risk_my_tasks", GROUP, Module.RISK),
    PageDef("pages/my_permits.py", "page.my_permits", GROUP, Module.PERMIT, needs_person=True),
    PageDef("pages/my_training.py", "page.my_training", GROUP, Module.TRAINING, needs_person=True),
    PageDef(
        "pages/my_certificates.py", "page.my_certificates", GROUP, Module.ORG, needs_person=True
    ),
    PageDef("pages/my_messages.py", "page.my_messages", GROUP),
)

#: The big buttons of the phone home page, in this order (each shown when the user may open it).
HOME_BUTTONS: tuple[str, ...] = (
    "pages/hazard_report.py",
    "pages/risk_my_tasks.py",
    "pages/my_training.py",
    "pages/my_permits.py",
)
