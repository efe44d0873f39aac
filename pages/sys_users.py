"""User accounts: the generic list plus create-with-password, reset and unlock."""

from core.ui.crud_page import render_table_page
from core.ui.system.users import new_user_form, user_actions

render_table_page("user", create_form=new_user_form, detail_extra=user_actions)
