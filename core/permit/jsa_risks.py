# ruff: noqa: E501 -- one JSA line per row reads better than wrapped Chinese
"""The risks each kind of special work brings with it (GB 30871-2022 and common JSA practice):
the lines a new permit's job safety analysis starts from, and the GB 6441 accident types
whose area risk points are worth adding to it.

A hot-work permit starts from fire, explosion and burns, never from the crane that happens to
stand in the same workshop: the area's risk points are only offered when their accident type
belongs to the work (``ACCIDENT_CODES``).
"""

from __future__ import annotations

from models.permit_reference import PermitTypeCode as P

#: GB 6441 accident-type codes (``data/reference/common/accident_types.json``) per work type.
ACCIDENT_CODES: dict[P, tuple[str, ...]] = {
    P.DH: ("07", "08", "15", "17", "18", "19"),  # burns, fire, explosions, poisoning
    P.SX: ("19", "06", "08", "18"),  # poisoning and asphyxiation, drowning, fire, explosion
    P.MB: ("19", "07", "18", "17"),  # toxic media, chemical burns, explosion
    P.GC: ("09", "01"),  # fall from height, struck by falling objects
    P.DZ: ("04", "01"),  # lifting injury, struck by object
    P.LD: ("05", "08"),  # electric shock, electrical fire
    P.DT: ("10", "05", "19"),  # collapse, buried cables, gas in trenches
    P.DL: ("02", "01"),  # vehicles, struck by object
}

# (step, hazard, measure) in Chinese and English, one tuple per line
_Line = tuple[tuple[str, str, str], tuple[str, str, str]]

LINES: dict[P, tuple[_Line, ...]] = {
    P.DH: (
        (
            (
                "动火前清理与隔离",
                "可燃物、可燃气体残留引发火灾、爆炸",
                "清除30 m内易燃物，管道加盲板隔离，置换合格",
            ),
            (
                "Prepare and isolate before hot work",
                "Fire or explosion from left-over combustibles or flammable gas",
                "Clear combustibles within 30 m, blind the lines, purge and test",
            ),
        ),
        (
            ("气体分析", "可燃气体浓度超标遇明火爆炸", "动火前30 min内分析，作业中定时复测"),
            (
                "Gas test",
                "Explosion when flammable gas is above the limit",
                "Test within 30 min before the work and again at set intervals",
            ),
        ),
        (
            (
                "焊接、切割",
                "火花、熔渣飞溅引燃周边物料，灼烫",
                "设接火盆和防火毯，穿戴焊接防护用品",
            ),
            (
                "Welding and cutting",
                "Sparks and slag ignite nearby material; burns",
                "Spark trays and fire blankets; welding PPE",
            ),
        ),
        (
            (
                "气瓶使用",
                "乙炔、氧气瓶泄漏、回火爆炸",
                "气瓶直立防倾倒，间距≥5 m，距动火点≥10 m，装回火防止器",
            ),
            (
                "Gas cylinders",
                "Acetylene or oxygen leak, flashback explosion",
                "Cylinders upright and secured, 5 m apart and 10 m from the work, flashback arrestors",
            ),
        ),
        (
            ("作业结束", "残留火种复燃", "清理现场，监护人确认无火种后离开"),
            (
                "Finish",
                "Smouldering embers re-ignite",
                "Clear the site; the watcher confirms no embers remain before leaving",
            ),
        ),
    ),
    P.SX: (
        (
            ("隔离与通风", "有毒气体、缺氧导致中毒窒息", "盲板隔离，清洗置换，强制通风"),
            (
                "Isolate and ventilate",
                "Poisoning or asphyxiation from toxic gas or low oxygen",
                "Blind the lines, clean and purge, forced ventilation",
            ),
        ),
        (
            (
                "进入前气体检测",
                "氧含量不足或有毒、可燃气体超标",
                "30 min内检测氧含量19.5%~21%，作业中持续检测",
            ),
            (
                "Gas test before entry",
                "Low oxygen, toxic or flammable gas above limits",
                "Test within 30 min (oxygen 19.5-21 %), keep testing during the work",
            ),
        ),
        (
            ("容器内作业", "照明、电动工具漏电触电", "使用≤36 V（潮湿≤12 V）安全电压照明"),
            (
                "Work inside",
                "Electric shock from lamps or tools",
                "Safety-voltage lighting, 36 V or 12 V in wet vessels",
            ),
        ),
        (
            ("监护与救援", "盲目施救造成伤亡扩大", "出入口专人监护，配备空气呼吸器和救生绳"),
            (
                "Watch and rescue",
                "Untrained rescue adds victims",
                "A watcher at the entrance, breathing apparatus and lifeline ready",
            ),
        ),
    ),
    P.MB: (
        (
            ("泄压排放", "带压介质喷出伤人", "系统降至常压，介质排净"),
            (
                "Depressurise and drain",
                "Pressurised medium sprays out",
                "Bring the line to atmospheric pressure and drain it",
            ),
        ),
        (
            ("拆装盲板", "有毒、腐蚀介质造成中毒、灼伤", "佩戴防毒面具、防酸碱护具"),
            (
                "Fit or remove blinds",
                "Toxic or corrosive medium: poisoning, chemical burns",
                "Respirator and chemical-resistant PPE",
            ),
        ),
        (
            ("易燃易爆介质作业", "工具撞击火花引爆", "使用防爆工具，穿防静电服"),
            (
                "Flammable media",
                "Tool sparks ignite the medium",
                "Non-sparking tools and antistatic clothing",
            ),
        ),
        (
            ("作业结束", "盲板位置错误导致窜料", "对照盲板图逐一核对并挂牌"),
            (
                "Finish",
                "A misplaced blind lets material through",
                "Check each blind against the blind list and tag it",
            ),
        ),
    ),
    P.GC: (
        (
            ("登高作业", "人员坠落", "系挂安全带（高挂低用），设置防护栏杆和安全网"),
            (
                "Work at height",
                "Fall from height",
                "Harness tied off above, guard rails and safety nets",
            ),
        ),
        (
            ("脚手架、梯子", "架体失稳、梯子滑倒", "脚手架验收挂牌，梯子有防滑措施"),
            (
                "Scaffolds and ladders",
                "Scaffold collapse, ladder slips",
                "Inspected and tagged scaffold, non-slip ladder feet",
            ),
        ),
        (
            ("工具材料传递", "物体坠落打击下方人员", "工具系防坠绳，下方设警戒区"),
            (
                "Tools and materials",
                "Falling objects strike people below",
                "Tool lanyards and a barrier zone below",
            ),
        ),
        (
            ("恶劣天气", "大风、雷雨导致坠落", "五级以上大风、雷雨停止露天高处作业"),
            (
                "Bad weather",
                "Wind or storms cause falls",
                "Stop outdoor work at height in wind force 5+ or storms",
            ),
        ),
    ),
    P.DZ: (
        (
            (
                "吊具、索具检查",
                "钢丝绳断裂、吊钩脱钩导致吊物坠落",
                "作业前检查吊索具，限位和制动完好",
            ),
            (
                "Check slings and hooks",
                "Broken rope or hook drops the load",
                "Inspect slings before use; limit switches and brakes working",
            ),
        ),
        (
            ("起吊", "超载、捆绑不牢造成起重伤害", "核实吊物重量，捆绑牢固，专人指挥"),
            (
                "Lift",
                "Overload or poor rigging causes lifting injury",
                "Check the weight, rig securely, one signaller",
            ),
        ),
        (
            ("吊物移动", "吊物下方人员被打击", "设置警戒区，严禁人员在吊物下停留"),
            (
                "Moving the load",
                "People under the load are struck",
                "Barrier zone; nobody under the load",
            ),
        ),
        (
            ("靠近电力线", "触碰架空线路触电", "与输电线路保持安全距离"),
            (
                "Near power lines",
                "Contact with overhead lines",
                "Keep the safe distance from power lines",
            ),
        ),
    ),
    P.LD: (
        (
            ("接线", "带电作业触电", "持证电工接线，停电、验电、挂牌上锁"),
            (
                "Connecting",
                "Electric shock from live parts",
                "Licensed electrician; isolate, test dead, lock and tag",
            ),
        ),
        (
            ("线路敷设", "电缆破损漏电", "检查绝缘，架空或穿管保护"),
            (
                "Running cables",
                "Damaged cable leaks current",
                "Check insulation; overhead or in conduit",
            ),
        ),
        (
            ("用电设备", "无漏电保护导致触电", "一机一闸一保护，配电箱接地"),
            (
                "Equipment",
                "Shock without residual-current protection",
                "One switch and RCD per tool; earthed distribution box",
            ),
        ),
        (
            ("防爆区域用电", "电气火花引发火灾爆炸", "电气设备达到防爆等级要求"),
            (
                "Hazardous areas",
                "Electrical sparks cause fire or explosion",
                "Explosion-proof equipment of the right class",
            ),
        ),
    ),
    P.DT: (
        (
            ("开挖前核查", "挖断地下电缆、管道导致触电、泄漏", "核查地下设施分布，相关单位会签"),
            (
                "Before digging",
                "Cutting buried cables or pipes: shock, leaks",
                "Locate buried services; units concerned sign off",
            ),
        ),
        (
            ("开挖", "坑壁坍塌掩埋人员", "超过1.5 m放坡或支撑，弃土距坑边≥1 m"),
            (
                "Digging",
                "Trench walls collapse",
                "Slope or shore deeper than 1.5 m; spoil at least 1 m from the edge",
            ),
        ),
        (
            ("坑内作业", "有毒有害气体积聚中毒", "进行气体检测并设专人监护"),
            (
                "Work in the trench",
                "Toxic gas collects in the trench",
                "Gas test and a watcher",
            ),
        ),
    ),
    P.DL: (
        (
            ("封闭道路", "车辆闯入作业区撞伤人员", "设置路障、警示标志和夜间警示灯"),
            (
                "Close the road",
                "Vehicles drive into the work area",
                "Barriers, warning signs and lamps at night",
            ),
        ),
        (
            ("交通组织", "消防、救护车辆通行受阻", "制定绕行方案，通知消防、调度"),
            (
                "Traffic plan",
                "Fire engines and ambulances blocked",
                "Detour plan; tell the fire brigade and dispatch",
            ),
        ),
        (
            ("恢复通行", "遗留坑洞、材料造成伤害", "作业结束清理现场，验收后恢复通行"),
            (
                "Reopen",
                "Holes or material left behind",
                "Clear the site and check it before reopening",
            ),
        ),
    ),
}


def type_lines(type_code: str, lang: str) -> list[dict[str, str]]:
    """The work type's own JSA lines in the user's language (Chinese unless English)."""
    lines = LINES.get(type_code, ())  # type: ignore[call-overload]
    pick = 1 if lang.startswith("en") else 0
    return [dict(zip(("step", "hazard", "measure"), line[pick], strict=True)) for line in lines]
