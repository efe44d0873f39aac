"""Demo course materials: short study texts for the courses people are assigned most, so the
online-study page has something to read and time (text only: no files to ship)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from core.demogen import DemoContext
from models.training_learning import CourseMaterial, MaterialKind

#: course name → (title, minimum minutes, text) per material, in order
MATERIALS: dict[str, tuple[tuple[str, int, str], ...]] = {
    "新员工厂级安全教育": (
        (
            "安全生产方针与从业人员的权利义务",
            10,
            "我国安全生产工作坚持“安全第一、预防为主、综合治理”的方针。\n\n"
            "依据《安全生产法》，从业人员有权了解作业场所和工作岗位存在的危险因素、防范措施"
            "及事故应急措施；有权对本单位安全生产工作提出建议、批评、检举、控告；有权拒绝"
            "违章指挥和强令冒险作业；发现直接危及人身安全的紧急情况时，有权停止作业或者在"
            "采取可能的应急措施后撤离作业场所。\n\n"
            "同时，从业人员应当严格遵守安全生产规章制度和操作规程，正确佩戴和使用劳动防护"
            "用品，接受安全生产教育和培训，发现事故隐患或者其他不安全因素立即报告。",
        ),
        (
            "本厂主要危险有害因素与事故案例",
            10,
            "机械加工企业常见的事故类型有：机械伤害、起重伤害、触电、物体打击、高处坠落、"
            "火灾和灼烫（GB 6441）。\n\n"
            "**案例**：某厂维修工在未停机、未上锁挂牌的情况下清理皮带输送机滚筒积料，"
            "手臂被卷入，造成重伤。教训：检维修前必须停机、断电、上锁挂牌并确认能量已释放。",
        ),
    ),
    "受限空间作业安全": (
        (
            "受限空间的辨识与作业审批",
            10,
            "受限空间是指进出受限、通风不良，可能存在易燃易爆、有毒有害物质或缺氧，"
            "对进入人员的身体健康和生命安全构成威胁的封闭、半封闭设施及场所，如储罐、"
            "反应釜、地下管沟、污水池等。\n\n"
            "进入受限空间作业必须办理《受限空间安全作业票》（GB 30871），落实隔离、"
            "清洗置换、通风、检测和监护措施，作业票在有效期内使用。",
        ),
        (
            "先通风、再检测、后作业",
            10,
            "作业前 30 分钟内进行气体检测，检测点应有代表性。氧含量应在 19.5%～21%"
            "（在富氧环境下不大于 23.5%），可燃气体浓度、有毒气体浓度符合作业票要求。\n\n"
            "作业中应连续监测或定时复测；监护人不得离开，发现异常立即组织撤离。"
            "**严禁盲目施救**：施救人员必须佩戴正压式空气呼吸器等防护装备。",
        ),
    ),
    "动火作业安全管理（GB 30871）": (
        (
            "动火作业分级与作业票",
            10,
            "固定动火区外的动火作业分为特级、一级和二级动火作业，分级审批。特级动火、"
            "一级动火作业票有效期不超过 8 小时，二级动火不超过 72 小时。\n\n"
            "动火点周围或其下方如有可燃物、电缆桥架、孔洞、窨井等，应检查分析并采取清理"
            "或封盖等措施；动火期间距动火点 30 m 内不得排放可燃气体，15 m 内不得排放可燃液体。",
        ),
        (
            "动火分析与监火",
            5,
            "动火分析与动火作业间隔一般不超过 30 分钟；作业中断超过 60 分钟应重新分析。"
            "动火作业应有专人监火，配备灭火器材，作业完毕清理现场，确认无残留火种后方可离开。",
        ),
    ),
    "消防安全“四个能力”": (
        (
            "检查消除火灾隐患、扑救初起火灾",
            5,
            "消防安全“四个能力”：检查消除火灾隐患能力、扑救初起火灾能力、组织人员疏散逃生"
            "能力、消防宣传教育培训能力。\n\n"
            "使用干粉灭火器：提、拔（保险销）、握（喷管）、压（压把），站在上风方向，"
            "对准火焰根部扫射。电气火灾先断电；油类火灾不可用水扑救。",
        ),
        (
            "组织疏散逃生",
            5,
            "发现火情立即拨打 119 报警，说清地址、起火部位、燃烧物和有无人员被困。\n\n"
            "疏散时用湿毛巾捂住口鼻、低姿前进，沿疏散指示标志走安全出口，不乘电梯，"
            "不贪恋财物，到达集合点后清点人数。",
        ),
    ),
    "高处作业与安全带使用": (
        (
            "高处作业分级与安全带",
            10,
            "在距坠落基准面 2 m 及以上有可能坠落的高处进行的作业为高处作业（GB/T 3608）。\n\n"
            "安全带应高挂低用，挂点牢固可靠；作业前检查织带、金属件和缓冲器。"
            "恶劣天气（六级以上大风、雷电、暴雨、大雾）应停止露天高处作业。",
        ),
    ),
}


def add_course_materials(ctx: DemoContext, courses: list[dict[str, Any]]) -> None:
    """Study texts for the demo courses (called once the courses have their ids)."""
    ctx.bulk(CourseMaterial, _rows(courses))


def _rows(courses: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Rows for every demo course (in every enterprise) whose name has texts above."""
    for course in courses:
        for position, (title, minutes, body) in enumerate(
            MATERIALS.get(course["name"], ()), start=1
        ):
            yield {
                "course_id": course["id"],
                "position": position,
                "title": title,
                "kind": MaterialKind.TEXT,
                "body": body,
                "min_minutes": minutes,
                "created_by": course["created_by"],
                "deleted_at": None,
            }
