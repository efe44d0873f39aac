"""A headless Streamlit browser for the exam-load benchmark: one websocket session that
speaks the protocol the real frontend speaks (``streamlit.proto`` BackMsg/ForwardMsg).

What the frontend does, and this does too: on connect it sends a ``rerun_script`` BackMsg
whose ``ClientState`` names the page (``page_name``, later the ``page_script_hash`` of the
server's ``navigation`` message) and the address's query string (kept from
``page_info_changed``, so ``?attempt=N`` survives every rerun). Each widget change is a new
``rerun_script`` carrying every widget's state (``WidgetStateManager``: the last value of
each widget on screen; a button's click is a one-shot ``trigger_value``). A widget drawn
inside an ``st.fragment`` (its delta's ``fragment_id``) reruns that fragment only: the
``rerun_script`` names the fragment, the run redraws it alone, and the rest of the page stays
as it was. Widget ids come
from the elements of the run's ``delta`` messages; a widget with a user key has that key at
the end of its id (``$$ID-<hash>-<key>``). A step ends at the ``script_finished`` that is
not a rerun's early end; an exception element or an error message on the page fails the
step (unless the step expects one: a failed exam's result is shown as an error).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import ClientConnection, connect

from core.sessions import COOKIE

WIDGETS = ("button", "radio", "multiselect", "text_input", "text_area")
ERROR_ALERT = 1  # Alert.Format.ERROR
STEP_TIMEOUT_S = 300.0


class StepFailed(RuntimeError):
    """The page answered a step with an exception or an error message, or not at all."""


@dataclass
class Widget:
    kind: str
    id: str
    options: list[str] = field(default_factory=list)
    fragment: str = ""


@dataclass
class Page:
    widgets: dict[str, Widget]  # by user key
    errors: list[str]  # exceptions
    alerts: list[str]  # st.error messages


class Browser:
    """One examinee's tab: ``open``, then ``click``/``set`` and ``close``."""

    def __init__(self, port: int, token: str) -> None:
        self.url = f"ws://127.0.0.1:{port}/_stcore/stream"
        self.token = token
        self.ws: ClientConnection | None = None
        self.query = ""
        self.page_hash = ""
        self.states: dict[str, WidgetState] = {}
        self.page = Page({}, [], [])

    async def open(self, page_name: str) -> float:
        self.ws = await connect(
            self.url,
            subprotocols=["streamlit"],  # type: ignore[list-item]
            additional_headers={"Cookie": f"{COOKIE}={self.token}"},
            max_size=None,
            open_timeout=STEP_TIMEOUT_S,
            ping_interval=None,
        )
        return await self._rerun(page_name)

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()

    async def click(self, key: str, *, alerts_ok: bool = False) -> float:
        """``alerts_ok``: an error message is the page's answer (a failed exam's result)."""
        widget = self._widget(key)
        state = WidgetState(id=widget.id, trigger_value=True)
        return await self._rerun(extra=state, alerts_ok=alerts_ok, fragment=widget.fragment)

    async def set(self, key: str, value: Any) -> float:
        """A radio/multiselect gets shown option labels, a text field its text."""
        widget = self._widget(key)
        state = WidgetState(id=widget.id)
        if widget.kind == "multiselect":
            state.string_array_value.data.extend(value)
        else:
            state.string_value = value
        self.states[widget.id] = state
        return await self._rerun(fragment=widget.fragment)

    def _widget(self, key: str) -> Widget:
        widget = self.page.widgets.get(key)
        if widget is None:
            shown = (self.page.errors + self.page.alerts)[:2]
            raise StepFailed(f"no widget {key!r} on the page; messages: {shown}")
        return widget

    async def _rerun(
        self,
        page_name: str = "",
        extra: WidgetState | None = None,
        alerts_ok: bool = False,
        fragment: str = "",
    ) -> float:
        msg = BackMsg()
        rerun = msg.rerun_script
        rerun.query_string = self.query
        rerun.page_script_hash = self.page_hash
        rerun.page_name = page_name
        rerun.fragment_id = fragment
        rerun.widget_states.widgets.extend([*self.states.values(), *([extra] if extra else [])])
        assert self.ws is not None
        started = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        shown = await self._read_run()
        took = time.perf_counter() - started
        if fragment:  # the fragment redrew itself; everything else is still on screen
            shown.widgets = {**self.page.widgets, **shown.widgets}
        self.page = shown
        live = {w.id for w in self.page.widgets.values()}
        self.states = {k: v for k, v in self.states.items() if k in live}
        errors = self.page.errors + ([] if alerts_ok else self.page.alerts)
        if errors:
            raise StepFailed("; ".join(errors)[:300])
        return took

    async def _read_run(self) -> Page:
        """ForwardMsgs up to the end of the run (a rerun the script asked for included)."""
        assert self.ws is not None
        widgets: dict[str, Widget] = {}
        errors: list[str] = []
        alerts: list[str] = []
        while True:
            fwd = ForwardMsg()
            fwd.ParseFromString(await self.ws.recv(decode=False))
            kind = fwd.WhichOneof("type")
            if kind == "new_session":
                widgets, errors, alerts = {}, [], []
            elif kind == "navigation":  # st.navigation names the page this run shows
                self.page_hash = fwd.navigation.page_script_hash
            elif kind == "page_info_changed":
                self.query = fwd.page_info_changed.query_string
            elif kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
                _note(fwd.delta, widgets, errors, alerts)
            elif kind == "script_finished":
                if fwd.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    widgets, errors, alerts = {}, [], []
                    continue
                if fwd.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    errors.append("script did not compile")
                return Page(widgets, errors, alerts)


def _note(delta: Any, widgets: dict[str, Widget], errors: list[str], alerts: list[str]) -> None:
    element = delta.new_element
    kind = element.WhichOneof("type")
    if kind in WIDGETS:
        proto = getattr(element, kind)
        key = proto.id.rpartition("-")[2]
        options = list(getattr(proto, "options", []))
        widgets[key] = Widget(kind, proto.id, options, delta.fragment_id)
    elif kind == "exception":
        errors.append(f"{element.exception.type}: {element.exception.message}")
    elif kind == "alert" and element.alert.format == ERROR_ALERT:
        alerts.append(element.alert.body)
