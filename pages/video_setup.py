"""摄像头与区域配置: cameras, their picture, zones drawn on it and the rules of each zone."""

from core.db import session_scope
from core.ui.nav import guard
from core.ui.video.setup import render_setup
from models.enums import Module

actor = guard(Module.VIDEO)
with session_scope() as session:
    render_setup(session, actor)
