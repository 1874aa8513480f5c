#!/usr/bin/env python3
"""Generate the sample data files in samples/ (deterministic: same bytes every run).

Each community's profile and the figures named in samples/README.md come from
the seed documents; the rest of each ledger is plausible, drawn from
per-category pools with a fixed random seed, and calibrated so the year's
totals equal the documents' figures where they give one.

Run: /usr/bin/python3 samples/tools/gen_samples.py
"""
import json
import os
import random
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.dirname(HERE)

# category: (titles, participants, materials, banners, slogans)
POOLS = {
    "宣传": (["民族政策宣传进楼院", "民族团结知识宣讲", "“石榴籽”政策宣传咨询", "民族团结进步宣传展板巡展",
             "民族政策法规有奖问答", "铸牢中华民族共同体意识主题宣讲"], (80, 450), (200, 1500), (1, 6), (2, 10)),
    "培训": (["少数民族群众就业技能培训", "民族政策业务培训", "网格员民族工作培训", "少数民族妇女手工技能培训",
             "创业知识培训"], (25, 120), (0, 200), (0, 1), (0, 0)),
    "座谈会": (["民族团结工作座谈会", "少数民族代表座谈会", "民族团结进步创建推进会", "驻区单位民族工作联席会"],
            (12, 45), (0, 60), (0, 0), (0, 0)),
    "文艺汇演": (["民族团结进步文艺汇演", "“中华民族一家亲”文艺演出", "邻里节民族歌舞展演"], (200, 800), (100, 600), (2, 5), (2, 8)),
    "走访慰问": (["走访慰问少数民族困难家庭", "走访慰问少数民族老党员", "走访慰问困难群众"], (10, 60), (0, 0), (0, 0), (0, 0)),
    "矛盾纠纷排查调处": (["邻里矛盾纠纷排查", "涉民族因素矛盾纠纷排查调处", "网格矛盾纠纷大排查"], (6, 25), (0, 100), (0, 2), (0, 4)),
    "帮扶": (["少数民族困难户结对帮扶", "就业援助帮扶", "助学帮扶"], (8, 40), (0, 0), (0, 0), (0, 0)),
    "志愿服务": (["“石榴籽”志愿服务", "洁美家园志愿服务", "平安巡逻志愿服务", "便民服务进小区"], (20, 90), (0, 300), (0, 2), (0, 4)),
    "节日活动": (["“我们的节日”民俗活动", "邻里百家宴", "民族节日互祝活动"], (80, 400), (0, 200), (1, 4), (2, 8)),
}
CATS = list(POOLS)
LOCATIONS = ["社区广场", "社区活动室", "社区会议室", "社区便民服务中心", "辖区各楼院", "社区文化长廊", "社区党群服务中心"]
ORGANIZERS = ["社区党支部", "社区居委会", "社区网格站", "社区志愿服务队", "社区妇联"]


def summary_for(a):
    cat, title, loc = a["category"], a["title"], a.get("location", "辖区")
    n, v = a.get("participants"), a.get("visits")
    if cat == "宣传":
        s = f"在{loc}开展{title}，发放宣传资料、解答群众咨询"
        return s + (f"，{n}人次参与。" if n else "。")
    if cat == "培训":
        return f"举办{title}" + (f"，{n}人参训。" if n else "。")
    if cat == "座谈会":
        return f"召开{title}" + (f"，{n}名代表参会，听取意见建议。" if n else "，听取意见建议。")
    if cat == "文艺汇演":
        return f"在{loc}举办{title}" + (f"，各族群众{n}人次观看。" if n else "。")
    if cat == "走访慰问":
        return f"开展{title}" + (f"，走访{v}户，送去慰问品。" if v else "，送去慰问品。")
    if cat == "矛盾纠纷排查调处":
        return f"开展{title}，及时化解邻里矛盾。"
    if cat == "帮扶":
        return f"开展{title}" + (f"，帮扶{n}名群众解决实际困难。" if n else "。")
    if cat == "志愿服务":
        return f"组织志愿者开展{title}" + (f"，{n}人次参与。" if n else "。")
    return f"举办{title}" + (f"，各族群众{n}人次参加。" if n else "。")


def make_activity(rng, date, cat, title=None, loc=None, org=None, scale=1.0, **fixed):
    titles, pr, mr, br, sr = POOLS.get(cat, (["主题活动"], (20, 80), (0, 0), (0, 0), (0, 0)))
    a = {"date": date, "category": cat, "title": title or rng.choice(titles),
         "location": loc or rng.choice(LOCATIONS), "organizer": org or rng.choice(ORGANIZERS),
         "participants": max(1, int(rng.randint(*pr) * scale))}
    if cat == "走访慰问":
        a["visits"] = max(1, a["participants"] * 2 // 3)
    for key, r in (("materials", mr), ("banners", br), ("slogans", sr)):
        v = rng.randint(*r)
        if v:
            a[key] = v
    for k, v in fixed.items():
        if v is None:
            a.pop(k, None)
        else:
            a[k] = v
    return a


def ledger(rng, year, months, per_month, weights, scale=1.0, titles=None, fixed=(),
           locations=None, organizers=None):
    """Activities for `months` of `year`; `fixed` are dated events from the
    documents, kept as given. `titles` overrides the title pool per category."""
    acts = [dict(f) for f in fixed]
    fixed_months = {}
    for f in fixed:
        fixed_months[int(f["date"][5:7])] = fixed_months.get(int(f["date"][5:7]), 0) + 1
    for m in months:
        n = max(0, rng.randint(*per_month) - fixed_months.get(m, 0))
        cats = rng.choices(CATS, weights=weights, k=n)
        days = sorted(rng.sample(range(1, 29), n))
        for d, cat in zip(days, cats):
            title = rng.choice(titles[cat]) if titles and cat in titles else None
            acts.append(make_activity(rng, f"{year}-{m:02d}-{d:02d}", cat, title,
                                      loc=rng.choice(locations) if locations else None,
                                      org=rng.choice(organizers) if organizers else None, scale=scale))
    for a in acts:
        a.setdefault("summary", summary_for(a))
    acts.sort(key=lambda a: (a["date"], a["title"]))
    return acts


def calibrate(acts, field, total, cats=None):
    """Scale `field` over the activities (of `cats`) so it sums to `total`
    exactly (largest-remainder rounding; a zero removes the field)."""
    sel = [a for a in acts if (cats is None or a["category"] in cats) and a.get(field)]
    if not sel:
        sel = [a for a in acts if cats is None or a["category"] in cats][:1]
        sel[0][field] = 1
    have = sum(a[field] for a in sel)
    shares = [a[field] * total / have for a in sel]
    vals = [int(x) for x in shares]
    order = sorted(range(len(sel)), key=lambda k: shares[k] - vals[k], reverse=True)
    for k in order[:total - sum(vals)]:
        vals[k] += 1
    for a, v in zip(sel, vals):
        if v:
            a[field] = v
        else:
            a.pop(field)
    assert sum(a.get(field, 0) for a in acts if cats is None or a["category"] in cats) == total


def highlights(rng, acts, photo_prefix=None, share=0.7):
    months = sorted({a["date"][:7] for a in acts})
    for mo in months:
        ms = [a for a in acts if a["date"].startswith(mo)]
        if ms and rng.random() < share:
            best = max(ms, key=lambda a: (a.get("participants", 0), a["date"]))
            best["highlight"] = True
            if photo_prefix:
                best["photos"] = [f"{photo_prefix}/{best['date'][5:7]}{best['date'][8:]}.png"]


def disputes_for(rng, year, months, max_found=4, kinds=None):
    out = []
    kinds = kinds or ["邻里噪音纠纷", "楼道堆物纠纷", "物业服务纠纷", "邻里用水纠纷", "宠物扰民纠纷", "家庭赡养纠纷"]
    for m in months:
        found = rng.randint(0, max_found)
        if found:
            resolved = found if rng.random() < 0.8 else found - 1
            out.append({"date": f"{year}-{m:02d}-{rng.randint(3, 27):02d}", "found": found,
                        "resolved": resolved, "summary": rng.choice(kinds)})
    return out


def assistance_for(rng, year, months, kinds=("低保", "临时救助", "助学", "医疗救助")):
    out = []
    for m in months:
        kind = rng.choice(kinds)
        hh = rng.randint(2, 12)
        out.append({"date": f"{year}-{m:02d}-{rng.randint(3, 27):02d}", "kind": kind, "households": hh,
                    "persons": hh * rng.randint(2, 4), "amount_yuan": hh * rng.choice([300, 400, 500, 600, 800])})
    return out


# ---- 秦渠社区 ----------------------------------------------------------------------------

def qinqu():
    rng = random.Random(20240901)
    y = 2024
    fixed = [
        make_activity(rng, "2024-04-16", "培训", "就业技能培训班（第一期）", "社区便民服务中心", "社区居委会",
                      participants=60, materials=None, banners=None, slogans=None),
        make_activity(rng, "2024-10-22", "培训", "就业技能培训班（第二期）", "社区便民服务中心", "社区居委会",
                      participants=60, materials=None, banners=None, slogans=None),
        make_activity(rng, "2024-06-15", "节日活动", "社区邻居节亲情茶话会", "社区广场", "社区党支部",
                      participants=420, summary="举办第二十届“社区邻居节”亲情茶话会，回汉邻里互赠睦邻卡，420人次参加。"),
        make_activity(rng, "2024-07-30", "走访慰问", "“百名妈妈拥军服务队”八一慰问", "驻地消防中队", "社区妇联",
                      participants=96, visits=None,
                      summary="“百名妈妈拥军服务队”到驻地消防中队开展八一慰问，包粽子赠亲人，96人次参加。"),
        make_activity(rng, "2024-09-14", "节日活动", "“庆中秋·迎国庆”回汉老人饺子宴", "社区活动室", "社区居委会",
                      participants=180),
        make_activity(rng, "2024-09-20", "文艺汇演", "民族团结进步宣传月文艺汇演", "社区广场", "社区党支部",
                      participants=620),
    ]
    acts = ledger(rng, y, range(1, 13), (4, 7), [5, 0, 1, 1, 2, 1, 1, 2, 1], fixed=fixed)
    # the year's propaganda equals the figures of the deeds material
    calibrate(acts, "materials", 6000)
    calibrate(acts, "banners", 84)
    calibrate(acts, "slogans", 26)
    for a in acts:
        a.pop("boards", None)
    calibrate(acts, "boards", 12, {"宣传"})
    for a in acts:
        if a["category"] == "宣传":
            a["summary"] = summary_for(a)
    highlights(rng, acts, photo_prefix="photos")
    return {
        "community": {
            "name": "秦渠社区", "street": "胜利镇", "district": "利通区", "city": "吴忠市",
            "province": "宁夏回族自治区", "area_km2": 0.7, "households": 3986, "population": 12130,
            "ethnic_groups": [{"name": "回族", "households": 2105, "population": 6431},
                              {"name": "满族", "households": 12, "population": 35},
                              {"name": "蒙古族", "households": 6, "population": 17}],
            "grids": 7, "volunteers": 300, "party_members": 86, "founded": "2008-08",
            "honors": [{"year": 2012, "title": "民族团结示范社区", "issuer": "利通区委、区政府"},
                       {"year": 2020, "title": "民族团结进步模范集体", "issuer": "吴忠市委、市政府"}],
        },
        "briefing": {"title": "民族团结工作简报", "issuer": "秦渠社区居委会", "first_issue_month": "2024-01",
                     "report_to": ["利通区民宗局"], "send_to": ["胜利镇党委", "胜利镇政府"],
                     "distribute_to": ["社区各网格", "辖区各单位"], "copies": 30},
        "activities": acts,
        "disputes": disputes_for(rng, y, range(1, 13)),
        "assistance": assistance_for(rng, y, range(1, 13)),
        "plans": [
            {"month": "2025-01", "title": "开展“迎新春”民族团结联欢活动", "detail": "组织辖区各族群众共度新春，开展写春联、包饺子等活动。"},
            {"month": "2025-02", "title": "举办少数民族群众就业技能培训", "detail": "联合劳动保障站举办烹饪、家政等技能培训班2期。"},
            {"month": "2025-03", "title": "开展民族政策宣传进楼院活动", "detail": "组织宣讲队深入各小区宣讲党的民族政策。"},
            {"month": "2025-06", "title": "举办第二十一届社区邻居节", "detail": "开展亲情茶话会、回族饮食馈赠汉族邻里等活动。"},
            {"month": "2025-09", "title": "开展民族团结进步宣传月活动", "detail": "举办文艺汇演和民族团结图片展，集中宣传党的民族政策。"},
        ],
        "problems": ["活动形式还有待进一步创新", "从事民族工作的人员还需要进一步加强系统培训",
                     "民族工作的资金投入还需要进一步加大"],
    }


# ---- 华林山社区 -------------------------------------------------------------------------------

def hualinshan():
    rng = random.Random(20110328)
    y = 2011
    fixed = [
        make_activity(rng, "2011-01-28", "座谈会", "社区民族工作座谈会", "社区活动室", "社区党委", participants=35,
                      summary="春节来临之际召开社区民族工作座谈会，邀请社区各宗教人士参加，社区文艺队表演自编自演的节目，35人参会。"),
        make_activity(rng, "2011-01-30", "走访慰问", "春节慰问少数民族群众", "辖区各楼院", "社区居委会",
                      participants=64, visits=42),
        make_activity(rng, "2011-08-31", "节日活动", "开斋节与少数民族群众共同庆祝", "辖区清真寺", "社区居委会",
                      participants=150, summary="开斋节期间，社区负责人到辖区清真寺同少数民族群众共同庆祝，150人次参加。"),
        make_activity(rng, "2011-11-06", "节日活动", "古尔邦节与少数民族群众共同庆祝", "辖区清真寺", "社区居委会",
                      participants=160),
        make_activity(rng, "2011-05-18", "培训", "少数民族群众创业知识培训", "清风阅览室", "社区劳动保障站", participants=42),
    ]
    acts = ledger(rng, y, range(1, 13), (2, 5), [4, 2, 1, 1, 2, 1, 2, 1, 1], scale=0.7, fixed=fixed,
                  locations=["社区活动室", "清风阅览室", "华林山北坡", "辖区各楼院", "社区居务大厅"],
                  organizers=["社区党委", "社区居委会", "社区劳动保障站"])
    highlights(rng, acts, share=0.5)
    assistance = []
    for m in range(1, 13):
        assistance.append({"date": f"{y}-{m:02d}-10", "kind": "低保", "households": 120, "persons": 296,
                           "amount_yuan": 35520})
        if m % 3 == 0:
            assistance.append({"date": f"{y}-{m:02d}-15", "kind": "廉租房补贴", "households": 25, "persons": 71,
                               "amount_yuan": 7500})
    return {
        "community": {
            "name": "华林山社区", "street": "华林坪街道", "district": "七里河区", "city": "兰州市", "province": "甘肃省",
            "area_km2": 0.7, "households": 1517, "population": 4101,
            "ethnic_groups": [{"name": "回族", "households": 480, "population": 1296},
                              {"name": "东乡族", "households": 30, "population": 86},
                              {"name": "保安族", "households": 12, "population": 33},
                              {"name": "撒拉族", "households": 10, "population": 21}],
            "religious_sites": 2,
        },
        "briefing": {"title": "民族工作简报", "issuer": "华林山社区居委会", "first_issue_month": "2011-01",
                     "report_to": ["七里河区民宗局"], "send_to": ["华林坪街道党工委"],
                     "distribute_to": ["社区各网格"], "copies": 20},
        "activities": acts,
        "disputes": disputes_for(rng, y, range(1, 13), max_found=3),
        "assistance": assistance,
        "plans": [
            {"month": "2011-04", "title": "增设民族团结社区活动器械和图书", "detail": "争取资金为社区活动室和清风阅览室添置健身器械和民族知识图书。"},
            {"month": "2011-06", "title": "组织民族工作人员系统培训", "detail": "分批组织社区民族工作人员参加区民宗局举办的业务培训。"},
            {"month": "2011-09", "title": "开展民族团结进步宣传月活动", "detail": "围绕“平等、团结、互助、和谐”开展宣传教育和文艺活动。"},
        ],
        "problems": ["民族团结社区氛围的配套设施还需要进一步增设，如器械、图书等",
                     "从事民族工作的人员还需要进一步加强系统培训", "民族工作的资金投入还需要进一步加大"],
    }


# ---- 小北沟社区 ----------------------------------------------------------------------------------

def xiaobeigou():
    rng = random.Random(20230601)
    y = 2023
    titles = {
        "培训": ["健康知识讲座", "卫生常识讲座", "计划生育知识讲座", "少数民族群众就业技能培训"],
        "帮扶": ["组织参加专场招聘会", "少数民族就业帮扶", "优先推荐少数民族群众再就业"],
        "志愿服务": ["少数民族群众义诊", "便民服务队上门服务", "理疗咨询服务"],
        "文艺汇演": ["社区文体宣传队演出"],
        "宣传": ["《城市民族工作条例》学习宣传", "民族团结知识宣传", "尊重少数民族风俗习惯宣传"],
    }
    acts = ledger(rng, y, range(1, 13), (2, 4), [3, 4, 1, 1, 1, 0, 3, 3, 1], scale=0.4, titles=titles,
                  locations=["社区学校", "社区活动室", "社区劳动保障站", "南大东街59号社区服务站"],
                  organizers=["社区党支部", "社区居委会", "社区劳动保障站", "社区民族工作小组"])
    highlights(rng, acts, share=0.4)
    return {
        "community": {
            "name": "小北沟社区", "street": "义井街道", "district": "城区", "city": "阳泉市", "province": "山西省",
            "area_km2": 2.0, "households": 1078, "population": 2916,
            "ethnic_groups": [{"name": "回族", "households": 10, "population": 24},
                              {"name": "满族", "households": 12, "population": 35},
                              {"name": "朝鲜族", "households": 2, "population": 7},
                              {"name": "蒙古族", "households": 3, "population": 5},
                              {"name": "锡伯族", "households": 1, "population": 1}],
        },
        "briefing": {"title": "民族工作简报", "issuer": "小北沟社区居委会", "first_issue_month": "2023-01",
                     "report_to": ["城区民族宗教事务局"], "send_to": ["义井街道党工委"], "copies": 15},
        "activities": acts,
        "disputes": disputes_for(rng, y, range(1, 13), max_found=2),
        "assistance": assistance_for(rng, y, range(1, 13, 2)),
        "plans": [
            {"month": "2024-01", "title": "开展迎新春文体活动", "detail": "社区文体宣传队编排节目，邀请各族居民共度新春。"},
            {"month": "2024-03", "title": "举办少数民族群众技能培训", "detail": "组织失业少数民族人员参加社区学校技能培训。"},
        ],
        "problems": ["工作开展还不够平衡", "活动形式还有待进一步创新", "协调落实的力度有待进一步加强"],
    }


# ---- 建林社区 -------------------------------------------------------------------------------------

def jianlin():
    rng = random.Random(20210513)
    y = 2021
    titles = {
        "节日活动": ["“情浓百家宴”", "“粽香庆端午”", "民族节日互祝", "“写春联送祝福”", "“佳节送温暖”", "“邻里荟”文化活动"],
        "宣传": ["“小马扎”宣讲队进小区", "民族团结进步主题墙宣讲", "道德讲堂典型人物讲故事", "理论宣讲和政策解读"],
        "志愿服务": ["“石榴籽”志愿服务", "“红色老兵”志愿服务", "洁美家园志愿服务", "平安巡逻志愿服务", "义修义剪微服务"],
        "座谈会": ["“3+X”联席议事会", "“大党委”联席会议", "少数民族代表座谈会"],
        "帮扶": ["困难群众帮扶", "帮就业帮救助", "“社区法律诊所”坐诊"],
    }
    acts = ledger(rng, y, range(1, 13), (4, 7), [3, 0, 2, 1, 1, 1, 2, 3, 4], scale=0.8, titles=titles,
                  locations=["民族团结进步示范广场", "民族团结进步之家", "社区道德讲堂", "翠竹园小区", "建林小区", "社区党群服务中心"],
                  organizers=["社区“大党委”", "社区居委会", "同福社工", "“邻里荟”志愿服务队"])
    highlights(rng, acts, share=0.6)
    return {
        "community": {
            "name": "建林社区", "street": "钢城街道", "city": "嘉峪关市", "province": "甘肃省",
            "households": 3986, "population": 9475,
            "ethnic_groups": [{"name": "回族", "households": 30, "population": 118},
                              {"name": "藏族", "households": 9, "population": 31},
                              {"name": "满族", "households": 8, "population": 29},
                              {"name": "土族", "households": 6, "population": 22},
                              {"name": "东乡族", "households": 8, "population": 30},
                              {"name": "保安族", "households": 4, "population": 15},
                              {"name": "裕固族", "households": 6, "population": 21},
                              {"name": "蒙古族", "households": 5, "population": 16}],
            "honors": [{"year": 2020, "title": "嘉峪关市民族团结进步模范集体", "issuer": "嘉峪关市委、市政府"}],
        },
        "briefing": {"title": "民族团结进步创建工作简报", "issuer": "建林社区居委会", "first_issue_month": "2021-01",
                     "report_to": ["嘉峪关市民族团结进步创建工作领导小组办公室"], "send_to": ["钢城街道党工委"],
                     "distribute_to": ["社区“大党委”成员单位", "各网格"], "copies": 40},
        "activities": acts,
        "disputes": disputes_for(rng, y, range(1, 13), max_found=3),
        "assistance": assistance_for(rng, y, range(1, 13)),
        "plans": [
            {"month": "2022-01", "title": "开展“写春联送祝福”活动", "detail": "组织书法志愿者为各族居民书写春联。"},
            {"month": "2022-06", "title": "举办“粽香庆端午”主题活动", "detail": "以“我们的节日”为主题，开展包粽子、民族节日互祝等活动。"},
            {"month": "2022-09", "title": "推进民族团结进步示范广场建设", "detail": "完善示范广场宣传设施，打造民族团结进步活动阵地。"},
        ],
        "problems": ["各族群众交往交流交融的活动载体还需丰富", "志愿服务队伍的专业化水平有待提高"],
    }


# ---- 海兴县 (county, 宣传月) ---------------------------------------------------------------------

def haixing():
    rng = random.Random(20230915)
    y = 2023
    bureau = "县民宗局"
    fixed = [
        make_activity(rng, "2023-09-05", "宣传", "民族团结进步宣传月集中宣传", "全县各乡镇", bureau,
                      participants=None, materials=2450, banners=9, slogans=915,
                      summary="出动流动宣传车，张贴宣传标语915条，悬挂横幅9幅，散发学习资料2450份。"),
        make_activity(rng, "2023-09-06", "宣传", "民族政策专题报道", "县广播电视台", "县委宣传部",
                      participants=None, materials=None, banners=None, slogans=None,
                      summary="开办民族政策法律法规、民族知识及民族村发展变化系列报道，撰写宣传稿件18篇，其中新闻单位采编、报道15篇。"),
        make_activity(rng, "2023-09-08", "培训", "民族政策培训班（第一期）", "县委党校", bureau, participants=100,
                      materials=None, banners=None, slogans=None),
        make_activity(rng, "2023-09-12", "培训", "民族政策培训班（第二期）", "县委党校", bureau, participants=100,
                      materials=None, banners=None, slogans=None),
        make_activity(rng, "2023-09-19", "培训", "民族政策培训班（第三期）", "县委党校", bureau, participants=100,
                      materials=None, banners=None, slogans=None),
        make_activity(rng, "2023-09-15", "文艺汇演", "“民族团结一家亲”文艺晚会", "小尤村", "市民宗局",
                      participants=800, materials=None, banners=None, slogans=None,
                      summary="市民宗局在小尤村举办“民族团结一家亲”文艺晚会，舞蹈、歌曲、河北梆子、杂技、川剧变脸等节目展示了不同民族的文化特色。"),
        make_activity(rng, "2023-09-21", "培训", "民族乡村科技培训", "各民族乡村", "县农业农村局",
                      sessions=5, participants=1046, materials=None, banners=None, slogans=None,
                      summary="农技、畜牧、农机等部门科技人员深入各民族乡村，开展特色产业栽培、农机安全、畜牧疫病防治等科技培训5场次，培训1046人。"),
        make_activity(rng, "2023-09-25", "帮扶", "少数民族劳务技能培训和劳动力转移", "各民族乡", "县人社局",
                      participants=583, summary="对少数民族群众进行劳务技能培训，输转剩余劳动力583人次。"),
        make_activity(rng, "2023-09-26", "清真食品执法检查", "清真食品市场联合执法检查", "全县", "县民宗局、县市场监管局",
                      participants=None, materials=None, banners=None, slogans=None,
                      summary="对全县清真食品生产、加工、销售网点集中开展执法检查，确保清真食品市场安全、规范、有序。"),
        make_activity(rng, "2023-09-27", "走访慰问", "走访少数民族干部和民族宗教界人士", "各民族村", bureau,
                      participants=78, visits=None,
                      summary="深入全县各民族村和宗教活动场所，走访少数民族干部及民族宗教界人士78人次。"),
        make_activity(rng, "2023-09-28", "座谈会", "民族宗教界矛盾纠纷排查座谈会", "县民宗局会议室", bureau,
                      participants=26, materials=None),
        make_activity(rng, "2023-09-10", "帮扶", "民族村“扶贫帮困送温暖”", "民族村", "县扶贫办",
                      participants=120, summary="在民族村开展“扶贫帮困送温暖”活动，在项目、资金等方面给予帮扶。"),
    ]
    months = [m for m in range(1, 13) if m != 9]
    acts = ledger(rng, y, months, (1, 3), [4, 2, 3, 0, 2, 1, 2, 0, 1], scale=1.5, fixed=fixed,
                  locations=["县民宗局", "各乡镇", "小尤村", "县委党校"],
                  organizers=["县民宗局", "县委统战部", "各乡镇"])
    disputes = [{"date": "2023-09-28", "found": 3, "resolved": 3, "summary": "民族宗教领域不稳定因素及矛盾纠纷"}]
    disputes += disputes_for(rng, y, [m for m in months if m % 3 == 0], max_found=2)
    disputes.sort(key=lambda d: d["date"])
    return {
        "community": {"name": "海兴县", "city": "沧州市", "province": "河北省"},
        "briefing": {"title": "民族宗教工作简报", "issuer": "海兴县民族宗教事务局", "first_issue_month": "2023-01",
                     "report_to": ["沧州市民族宗教事务局", "县委、县政府"], "send_to": ["县委统战部", "县委宣传部"],
                     "distribute_to": ["各乡镇", "县直有关部门"], "copies": 50},
        "activities": acts,
        "disputes": disputes,
        "plans": [{"month": "2023-10", "title": "巩固宣传月成果", "detail": "把民族团结进步宣传教育融入日常，以宣传月工作促全年工作。"}],
        "problems": ["工作开展还不平衡", "活动形式还有待进一步创新", "协调落实的力度上有待进一步加强"],
    }


# ---- 鄯善县 (county, 一季度创建简报) -----------------------------------------------------------------

def shanshan():
    y = 2024
    office = "县创建办"
    rows = []

    def add(date, cat, title, loc, org, summary, **f):
        a = {"date": date, "category": cat, "title": title, "location": loc, "organizer": org}
        a.update(f)
        a["summary"] = summary
        rows.append(a)

    # 文化之冬: 6979 场次, 45万余人次 (split over the quarter by type)
    winter = [("篮球赛", "其他", 661), ("播放电影", "其他", 658), ("文艺演出", "文艺汇演", 1235),
              ("农牧民运动会", "其他", 46), ("文艺大赛", "文艺汇演", 122), ("民间艺人培训", "培训", 424),
              ("升国旗活动", "宣传", 919), ("趣味益智活动", "其他", 1522), ("其他文化活动", "其他", 1392)]
    assert sum(n for _, _, n in winter) == 6979
    people_total = 452316
    people = [round(people_total * n / 6979) for _, _, n in winter]
    people[-1] += people_total - sum(people)
    for k, ((name, cat, n), p) in enumerate(zip(winter, people)):
        m = k % 3 + 1
        add(f"{y}-{m:02d}-{10 + k:02d}", cat, f"“文化之冬”{name}", "各行政村（社区）", "县文体广旅局",
            f"“文化之冬”活动中开展{name}{n}场次，参与群众{p}人次。", sessions=n, participants=p)
    # 民族团结模范事迹宣讲: 697 场次, 55373 人次
    for m, (s, p) in zip((1, 2, 3), ((232, 18450), (233, 18460), (232, 18463))):
        add(f"{y}-{m:02d}-05", "宣传", "“民族团结模范事迹”宣讲", "各乡（镇、场）", office,
            f"开展“民族团结模范事迹”宣讲{s}场次，受教育群众{p}人次。", sessions=s, participants=p)
    add(f"{y}-01-15", "宣传", "广播电视民族团结专栏", "县融媒体中心", "县委宣传部",
        "各类媒体播报民族团结专题新闻84条，荧屏滚动宣传语720余条次，播出公益广告48期。")
    add(f"{y}-02-20", "宣传", "双语宣传标语和横幅", "县直机关及主要路段", office,
        "县直机关悬挂宣传横幅105条，电子屏滚动双语发布创建标语2000条次。", banners=105, slogans=2000)
    add(f"{y}-03-12", "走访慰问", "干部职工“入户交友”", "全县各村（社区）", "县委组织部",
        "全县6269名干部职工与40586户农户结对子，进家入户送去宣传资料10万余份。",
        participants=6269, visits=40586, materials=102350)
    add(f"{y}-03-18", "志愿服务", "“进农家干农活暖民心”", "各乡镇", "县委组织部",
        "全县各级干部8000余人参与“进农家干农活暖民心”活动。", participants=8126)
    add(f"{y}-03-22", "帮扶", "“百企帮百村（户）”精准扶贫", "5个重点贫困村", "县工商联",
        "“百企帮百村（户）精准扶贫行动”已与5个重点贫困村的贫困户对接。", participants=5)
    add(f"{y}-03-28", "帮扶", "迪坎村易地扶贫搬迁", "迪坎村", "县发改委",
        "迪坎村易地扶贫搬迁一期完成搬迁50户186人。", participants=186, visits=50)
    add(f"{y}-02-26", "座谈会", "民族团结进步模范创建推进会", "县委会议室", office,
        "召开创建工作推进会，部署第一季度创建任务。", participants=80)
    rows.sort(key=lambda a: (a["date"], a["title"]))
    rows[[a["title"] for a in rows].index("“民族团结模范事迹”宣讲")]["highlight"] = True
    return {
        "community": {"name": "鄯善县", "city": "吐鲁番市", "province": "新疆维吾尔自治区"},
        "briefing": {"title": "民族团结进步模范创建工作简报", "issuer": "鄯善县创建工作领导小组办公室",
                     "first_issue_month": "2024-01", "report_to": ["吐鲁番市创建工作领导小组办公室"],
                     "send_to": ["县委、县人大、县政府、县政协"], "distribute_to": ["各乡（镇、场）", "县直各部门"],
                     "copies": 60},
        "activities": rows,
        "disputes": [],
        "plans": [{"month": "2024-04", "title": "深化“入户交友”活动", "detail": "推动干部职工与结对户常态化走访，办实事解难题。"}],
        "problems": ["宣传形式还需进一步贴近群众", "各乡镇创建工作进展还不平衡"],
    }


# ---- output -------------------------------------------------------------------------------------------

def png(path, w, h, seed):
    """A simple illustration (sky, ground, a stage and figures) standing in for
    an activity photo; flat colours so the file stays small."""
    rng = random.Random(seed)
    sky = (rng.randint(120, 170), rng.randint(170, 210), 235)
    ground = (rng.randint(150, 190), rng.randint(120, 150), 90)
    rows = []
    figures = [(rng.randint(20, w - 20), rng.randint(h * 2 // 3, h - 25),
                rng.choice([(200, 40, 40), (40, 90, 180), (230, 180, 40), (60, 150, 80)]))
               for _ in range(14)]
    for yy in range(h):
        row = bytearray([0])
        for x in range(w):
            c = sky if yy < h * 3 // 5 else ground
            if h // 3 < yy < h * 3 // 5 and w // 4 < x < w * 3 // 4:
                c = (180, 30, 30)  # stage backdrop
            for fx, fy, fc in figures:
                if (x - fx) ** 2 + (yy - fy) ** 2 < 64 or (abs(x - fx) < 6 and fy < yy < fy + 22):
                    c = fc
            row += bytes(c)
        rows.append(bytes(row))
    raw = zlib.compress(b"".join(rows), 9)

    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    data = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", raw) + chunk(b"IEND", b""))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def write(name, data):
    path = os.path.join(OUT, name)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=1)
        f.write("\n")
    for a in data["activities"]:
        for ph in a.get("photos", []):
            png(os.path.join(OUT, ph), 360, 240, a["date"])
    print(path)


if __name__ == "__main__":
    for name, make in [("qinqu.json", qinqu), ("hualinshan.json", hualinshan), ("xiaobeigou.json", xiaobeigou),
                       ("jianlin.json", jianlin), ("haixing.json", haixing), ("shanshan.json", shanshan)]:
        write(name, make())
