"""The printable permit: A4, every signature and reading, as GB 30871's appendix forms lay
them out (the search result as a list: ``core.reporting.permit_search``).

Pure functions: a session, an actor and what to print in, bytes out. Each is an export: it
needs the permit export permission and leaves an audit entry. Chinese text uses reportlab's
built-in CID font (STSong-Light): the PDF viewer supplies the glyphs, so nothing is shipped or
fetched. Labels follow the actor's language; user text is escaped, never read as markup.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import (
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from sqlmodel import Session, col, select

from core import audit
from core.clock import shown
from core.crud.registry import get_spec
from core.crud.service import get_row
from core.db import utcnow
from core.i18n import has, t
from core.pdf_kit import PAGE_W, SHADE, build, para, ruled, style_sheet, when
from core.permit.gas import limit_text, value_text
from core.permit.rules import limits_for, pick_limit, within
from core.permit.workers import worker_names
from core.rbac import Actor
from core.workflow import events
from models.accounts import User
from models.enums import Action, Module
from models.org import Area, Department, Enterprise, Person
from models.permit import Permit, PermitGasReading, PermitSignature
from models.permit_reference import PermitGrade, PermitMeasureItem, PermitTemplate, PermitType


class _Permit:
    """Reads everything a printed permit shows, then lays it out section by section."""

    def __init__(self, session: Session, permit: Permit, lang: str) -> None:
        self.s, self.p, self.lang = session, permit, lang
        self.type = session.get(PermitType, permit.permit_type_id)
        self.code = self.type.code if self.type else ""
        self.template = self._template()

    def tr(self, key: str, **params: Any) -> str:
        return t(f"permit_print.{key}", self.lang, **params)

    def named(self, zh: str | None, en: str | None) -> str:
        return (en if self.lang == "en" and en else zh) or ""

    def _template(self) -> PermitTemplate | None:
        if self.p.template_id:
            return self.s.get(PermitTemplate, self.p.template_id)
        stmt = select(PermitTemplate).where(
            PermitTemplate.type_code == self.code,
            col(PermitTemplate.is_default),
            col(PermitTemplate.deleted_at).is_(None),
        )
        return self.s.exec(stmt.order_by(col(PermitTemplate.id))).first()

    def title(self) -> str:
        if self.type is None:
            return self.tr("title_generic")
        if self.lang == "en":
            return self.tr("title", name=self.type.name_en or self.type.name)
        return self.tr("title", name=self.type.name.removesuffix("作业"))

    def _user(self, user_id: int | None) -> str:
        user = self.s.get(User, user_id) if user_id else None
        return user.display_name if user else ""

    def _person(self, person_id: int | None) -> str:
        person = self.s.get(Person, person_id) if person_id else None
        return person.name if person else ""

    def _numbers(self, ids: Iterable[Any]) -> str:
        wanted = [int(i) for i in ids if str(i).isdigit()]
        if not wanted:
            return ""
        rows = self.s.exec(select(Permit.number).where(col(Permit.id).in_(wanted))).all()
        return "、".join(n for n in rows if n)

    def story(self) -> list[Any]:
        p, tr = self.p, self.tr
        number = p.number or f"#{p.id}"
        sub = f"{tr('number')}: {number}    {t(f'enum.PermitState.{p.state}', self.lang)}"
        out: list[Any] = [para(self.title(), "title"), para(sub, "sub"), Spacer(1, 4 * mm)]
        out += [self.basics()]
        for section in (
            self.form_values,
            self.jsa,
            self.measures,
            self.readings,
            self.signatures,
            self.briefing,
            self.progress,
            self.history,
        ):
            out += section()
        return out

    def basics(self) -> Table:
        p, tr = self.p, self.tr
        grade = self.s.get(PermitGrade, p.grade_id) if p.grade_id else None
        area = self.s.get(Area, p.area_id) if p.area_id else None
        dept = self.s.get(Department, p.department_id) if p.department_id else None
        enterprise = self.s.get(Enterprise, p.enterprise_id) if p.enterprise_id else None
        area_text = ""
        if area is not None:
            area_text = f"{area.name}（{t(f'enum.RiskLevel.{area.risk_level}', self.lang)}）"
        place = p.location + (
            f"  (X {p.x:g}, Y {p.y:g})" if p.x is not None and p.y is not None else ""
        )
        workers = worker_names(self.s, p.workers or [])
        parent = self.s.get(Permit, p.parent_id) if p.parent_id else None
        pairs = [
            (tr("type"), self.named(self.type.name, self.type.name_en) if self.type else ""),
            (tr("grade"), self.named(grade.name, grade.name_en) if grade else ""),
            (tr("enterprise"), enterprise.name if enterprise else ""),
            (tr("unit"), dept.name if dept else ""),
            (tr("area"), area_text),
            (tr("location"), place),
            (tr("planned"), f"{when(p.planned_start)} — {when(p.planned_end)}"),
            (tr("applicant"), self._user(p.applicant_id)),
            (tr("guardian"), self._person(p.guardian_id)),
            (tr("workers"), "、".join(workers.values())),
            (tr("extension_of"), parent.number if parent else ""),
            (tr("simops"), self._numbers(p.simops or [])),
        ]
        rows = [[a, b, c, d] for (a, b), (c, d) in zip(pairs[::2], pairs[1::2], strict=True)]
        rows.append([tr("content"), para(p.content), "", ""])
        table = ruled(rows, [24 * mm, 66 * mm, 24 * mm, PAGE_W - 114 * mm], header=False)
        table.setStyle(
            TableStyle(
                [
                    ("BACKGROUND", (0, 0), (0, -1), SHADE),
                    ("BACKGROUND", (2, 0), (2, -2), SHADE),
                    ("SPAN", (1, -1), (3, -1)),
                ]
            )
        )
        return table

    def heading(self, key: str) -> Paragraph:
        return para(self.tr(f"section.{key}"), "head")

    def form_values(self) -> list[Any]:
        values = self.p.form_values or {}
        fields = list(self.template.form_fields or []) if self.template else []
        labels = {f.get("name"): self.named(f.get("label"), f.get("label_en")) for f in fields}
        names = [f.get("name") for f in fields] + [k for k in values if k not in labels]
        rows = [[labels.get(n) or n, self._value(values.get(n))] for n in names]
        if not rows:
            return []
        return [self.heading("form"), ruled(rows, [50 * mm, PAGE_W - 50 * mm], header=False)]

    def _value(self, value: Any) -> str:
        if isinstance(value, bool):
            return t("common.yes" if value else "common.no", self.lang)
        if isinstance(value, list | tuple):
            return "、".join(str(v) for v in value)
        return "" if value is None else str(value)

    def jsa(self) -> list[Any]:
        steps = [s for s in self.p.jsa or [] if isinstance(s, dict)]
        if not steps:
            return []
        head = [self.tr(k) for k in ("seq", "jsa_step", "jsa_hazard", "jsa_measure")]
        rows = [
            [i, s.get("step"), s.get("hazard"), s.get("measure")] for i, s in enumerate(steps, 1)
        ]
        widths = [12 * mm, 40 * mm, 55 * mm, PAGE_W - 107 * mm]
        return [self.heading("jsa"), ruled([head, *rows], widths)]

    def measures(self) -> list[Any]:
        checked = self.p.measures_checked or {}
        codes = list(self.template.measure_codes or []) if self.template else []
        stmt = select(PermitMeasureItem).where(col(PermitMeasureItem.deleted_at).is_(None))
        if codes:
            stmt = stmt.where(col(PermitMeasureItem.code).in_(codes + list(checked)))
        else:
            stmt = stmt.where(PermitMeasureItem.type_code == self.code)
        items = sorted(
            self.s.exec(stmt).all(),
            key=lambda m: (codes.index(m.code) if m.code in codes else 999, m.position, m.code),
        )
        if not items:
            return []
        head = [self.tr(k) for k in ("seq", "measure", "confirmed", "confirmed_by", "time")]
        rows = []
        for i, item in enumerate(items, 1):
            tick = checked.get(item.code)
            info = tick if isinstance(tick, dict) else {}
            rows.append(
                [
                    i,
                    item.text,
                    "√" if tick not in (None, False) else "□",
                    info.get("name") or self._user(info.get("by")),
                    when(info.get("at")),
                ]
            )
        widths = [12 * mm, PAGE_W - 98 * mm, 14 * mm, 38 * mm, 34 * mm]
        return [self.heading("measures"), ruled([head, *rows], widths)]

    def readings(self) -> list[Any]:
        stmt = (
            select(PermitGasReading)
            .where(
                PermitGasReading.permit_id == self.p.id,
                col(PermitGasReading.deleted_at).is_(None),
            )
            .order_by(col(PermitGasReading.measured_at), col(PermitGasReading.id))
        )
        found = self.s.exec(stmt).all()
        if not found:
            return []
        limits = limits_for(self.s, self.code)
        keys = ("time", "gas", "value", "limit", "verdict", "tester", "sample_point")
        rows = [[self.tr(k) for k in keys]]
        for r in found:
            limit = pick_limit(limits, str(r.gas), r.medium_lel)
            ok = r.within_limit
            if ok is None:
                ok = within(limit, r.value, str(r.gas), str(r.unit), r.medium_lel)
            verdict = "—" if ok is None else self.tr("pass" if ok else "fail")
            rows.append(
                [
                    when(r.measured_at),
                    t(f"enum.PermitGas.{r.gas}", self.lang),
                    value_text(r),
                    limit_text(limit) if limit else "—",
                    verdict,
                    self._person(r.tester_id),
                    r.sample_point,
                ]
            )
        widths = [28 * mm, 24 * mm, 22 * mm, 40 * mm, 15 * mm, 20 * mm, PAGE_W - 149 * mm]
        table = ruled(rows, widths)
        bad = [
            ("TEXTCOLOR", (4, i), (4, i), colors.red)
            for i, r in enumerate(found, 1)
            if r.within_limit is False
        ]
        table.setStyle(TableStyle(bad))
        return [self.heading("readings"), table]

    def signatures(self) -> list[Any]:
        stmt = (
            select(PermitSignature)
            .where(
                PermitSignature.permit_id == self.p.id, col(PermitSignature.deleted_at).is_(None)
            )
            .order_by(
                col(PermitSignature.step), col(PermitSignature.signed_at), col(PermitSignature.id)
            )
        )
        found = self.s.exec(stmt).all()
        if not found:
            return [self.heading("signatures"), para(self.tr("none"))]
        keys = ("step", "role", "signer", "time", "decision", "comment")
        rows = [[self.tr(k) for k in keys]]
        for sig in found:
            name = escape(sig.signer_name or self._user(sig.signer_id))
            decision = escape(t(f"enum.PermitDecision.{sig.decision}", self.lang))
            comment = escape(sig.comment or "")
            if sig.withdrawn_at:
                name, decision = f"<strike>{name}</strike>", f"<strike>{decision}</strike>"
                note = escape(self.tr("withdrawn", time=when(sig.withdrawn_at)))
                comment = f"{comment}<br/>{note}" if comment else note
            styles = style_sheet()
            rows.append(
                [
                    sig.step,
                    t(f"enum.PermitApprovalRole.{sig.role}", self.lang),
                    Paragraph(name, styles["base"]),
                    when(sig.signed_at),
                    Paragraph(decision, styles["base"]),
                    Paragraph(comment, styles["small"]),
                ]
            )
        widths = [12 * mm, 32 * mm, 26 * mm, 30 * mm, 18 * mm, PAGE_W - 118 * mm]
        return [self.heading("signatures"), ruled(rows, widths)]

    def briefing(self) -> list[Any]:
        p = self.p
        refs = list(p.workers or [])
        signed = {str(r) for r in p.briefing_signed or []}
        if not (p.briefing_content or p.briefed_at or refs):
            return []
        out: list[Any] = [self.heading("briefing")]
        if p.briefing_content or p.briefed_at:
            by = self._user(p.briefing_by)
            line = self.tr("briefed", by=by or "—", time=when(p.briefed_at) or "—")
            out += [para(p.briefing_content), para(line, "small"), Spacer(1, 2 * mm)]
        extra = [r for r in p.briefing_signed or [] if str(r) not in {str(x) for x in refs}]
        names = worker_names(self.s, refs + extra)
        rows = [[self.tr("worker"), self.tr("signed")]]
        rows += [
            [name, "√ " + self.tr("signed") if ref in signed else self.tr("not_signed")]
            for ref, name in names.items()
        ]
        if len(rows) > 1:
            out.append(ruled(rows, [60 * mm, 40 * mm]))
        return out

    def progress(self) -> list[Any]:
        p, tr = self.p, self.tr
        pairs = [
            (tr("started_at"), when(p.started_at)),
            (tr("suspend_reason"), p.suspend_reason or ""),
            (tr("completed_at"), when(p.completed_at)),
            (tr("closed_at"), when(p.closed_at)),
            (tr("cancel_reason"), p.cancel_reason or ""),
        ]
        rows = [[a, b] for a, b in pairs if b]
        if not rows:
            return []
        table = ruled(rows, [36 * mm, PAGE_W - 36 * mm], header=False)
        table.setStyle(TableStyle([("BACKGROUND", (0, 0), (0, -1), SHADE)]))
        return [self.heading("progress"), table]

    def history(self) -> list[Any]:
        found = events(self.s, "permit", self.p.id)
        if not found:
            return []
        rows = [[self.tr(k) for k in ("time", "action", "state", "by", "comment")]]
        for e in found:
            key = f"workflow.action.{e.action}"
            action = t(key, self.lang) if has(key, self.lang) else e.action
            state = t(f"enum.PermitState.{e.to_state}", self.lang)
            rows.append(
                [
                    when(e.ts),
                    action,
                    state,
                    e.actor_name,
                    e.comment,
                ]
            )
        widths = [30 * mm, 28 * mm, 24 * mm, 26 * mm, PAGE_W - 108 * mm]
        return [self.heading("history"), ruled(rows, widths)]


def permit_pdf(session: Session, actor: Actor, permit_id: int, lang: str | None = None) -> bytes:
    """The printable permit: A4, every section of the form, withdrawn signatures struck
    through. Refuses a permit outside the actor's scope as absent (``NotFound``)."""
    actor.require(Module.PERMIT, Action.EXPORT)
    lang = lang or actor.language
    permit = get_row(session, get_spec("permit"), actor, permit_id)
    doc = _Permit(session, permit, lang)
    number = permit.number or f"#{permit.id}"
    footer = t("permit_print.footer", lang, number=number, by=actor.username, time=shown(utcnow()))
    data = build(doc.story(), f"{doc.title()} {number}", footer)
    audit.record(
        session,
        actor,
        "export",
        table_name="permit",
        row_id=permit.id,
        enterprise_id=permit.enterprise_id,
        detail={"format": "pdf", "document": "permit", "number": permit.number},
    )
    return data
