#!/usr/bin/env python3
"""Generate the sample data files in samples/ (deterministic: same output every run).

Community figures come from the seed documents (see samples/README.md); the
activity ledgers are plausible, generated from per-category pools with a
fixed random seed so the files never change unless this script does.
Run: /usr/bin/python3 samples/tools/gen_samples.py
"""
import json
import os
import random
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.dirname(HERE)

# category: (titles, participants range, materials range, banners, slogans)
POOLS = {
    "宣传": (["民族政策宣传进楼院", "民族团结知识宣讲", "“石榴籽”政策宣传咨询", "民族团结进步宣传展板巡展",
             "民族政策法规有奖问答", "铸牢中华民族共同体意识主题宣讲"], (80, 450), (200, 1500), (1, 6), (4, 20)),
    "培训": (["少数民族群众就业技能培训", "民族政策业务培训", "网格员民族工作培训", "少数民族妇女手工技能培训",
             "创业知识培训"], (25, 120), (0, 200), (0, 1), (0, 0)),
    "座谈会": (["民族团结工作座谈会", "少数民族代表座谈会", "民族团结进步创建推进会", "驻区单位民族工作联席会"],
            (12, 45), (0, 60), (0, 0), (0, 0)),
    "文艺汇演": (["民族团结进步文艺汇演", "“中华民族一家亲”文艺演出", "邻里节民族歌舞展演"], (200, 800), (100, 600), (2, 5), (6, 20)),
    "走访慰问": (["走访慰问少数民族困难家庭", "走访慰问少数民族老党员", "节日走访慰问困难群众"], (10, 60), (0, 0), (0, 0), (0, 0)),
    "矛盾纠纷排查调处": (["邻里矛盾纠纷排查", "涉民族因素矛盾纠纷排查调处", "网格矛盾纠纷大排查"], (6, 25), (0, 100), (0, 2), (0, 5)),
    "帮扶": (["少数民族困难户结对帮扶", "就业援助帮扶", "助学帮扶"], (8, 40), (0, 0), (0, 0), (0, 0)),
    "志愿服务": (["“石榴籽”志愿服务", "洁美家园志愿服务", "平安巡逻志愿服务", "便民服务进小区"], (20, 90), (0, 300), (0, 2), (0, 6)),
    "节日活动": (["“我们的节日”端午民俗活动", "中秋邻里百家宴", "春节联欢会", "开斋节民族节日互祝活动", "古尔邦节慰问活动"],
             (80, 400), (0, 200), (1, 4), (2, 10)),
}
LOCATIONS = ["社区广场", "社区活动室", "社区会议室", "社区便民服务中心", "辖区各楼院", "社区文化长廊", "社区党群服务中心"]
ORGANIZERS = ["社区党支部", "社区居委会", "社区网格站", "社区志愿服务队", "社区妇联"]
FESTIVALS = {1: "春节联欢会", 2: "春节联欢会", 6: "“我们的节日”端午民俗活动", 9: "中秋邻里百家宴"}


def summary_for(cat, title, n, loc):
    if cat == "宣传":
        return f"在{loc}开展{title}，发放宣传资料，解答群众咨询，{n}人次参与。"
    if cat == "培训":
        return f"组织辖区群众参加{title}，{n}人参训。"
    if cat == "座谈会":
        return f"召开{title}，{n}名群众代表参会，收集意见建议。"
    if cat == "文艺汇演":
        return f"在{loc}举办{title}，各族群众{n}人次观看。"
    if cat == "走访慰问":
        return f"开展{title}，走访{n}户，送去慰问品。"
    if cat == "矛盾纠纷排查调处":
        return f"开展{title}，排查化解邻里纠纷。"
    if cat == "帮扶":
        return f"开展{title}，帮扶{n}户群众解决实际困难。"
    if cat == "志愿服务":
        return f"组织志愿者开展{title}，{n}人次参与。"
    return f"举办{title}，各族群众{n}人次参加。"


def ledger(rng, year, months, per_month, month_weights, photo_prefix=None):
    acts, disputes, assistance = [], [], []
    for m in months:
        n = rng.randint(*per_month)
        if m == 9:  # 民族团结进步宣传月
            n += 4
        cats = rng.choices(list(POOLS), weights=month_weights, k=n)
        if m == 9:
            cats[:3] = ["宣传", "文艺汇演", "宣传"]
        if m in FESTIVALS:
            cats[-1] = "节日活动"
        days = sorted(rng.sample(range(1, 29), n))
        best = None
        for d, cat in zip(days, cats):
            titles, pr, mr, br, sr = POOLS[cat]
            title = FESTIVALS[m] if cat == "节日活动" and m in FESTIVALS else rng.choice(titles)
            if m == 9 and cat == "文艺汇演":
                title, d = "民族团结进步宣传月文艺汇演", 20
            loc = rng.choice(LOCATIONS)
            a = {"date": f"{year}-{m:02d}-{d:02d}", "category": cat, "title": title,
                 "location": loc, "organizer": rng.choice(ORGANIZERS),
                 "participants": rng.randint(*pr)}
            for key, r in (("materials", mr), ("banners", br), ("slogans", sr)):
                v = rng.randint(*r)
                if v:
                    a[key] = v
            a["summary"] = summary_for(cat, title, a["participants"], loc)
            acts.append(a)
            if best is None or a["participants"] > best["participants"]:
                best = a
        if rng.random() < 0.7 and best is not None:
            best["highlight"] = True
            if photo_prefix:
                best["photos"] = [f"{photo_prefix}/{best['date'][5:7]}{best['date'][8:]}.png"]
        found = rng.randint(0, 4)
        if found:
            resolved = found if rng.random() < 0.8 else found - 1
            disputes.append({"date": f"{year}-{m:02d}-{rng.randint(3, 27):02d}", "found": found,
                             "resolved": resolved,
                             "summary": rng.choice(["邻里噪音纠纷", "楼道堆物纠纷", "物业服务纠纷",
                                                    "邻里用水纠纷", "宠物扰民纠纷", "家庭赡养纠纷"])})
        kind = rng.choice(["低保", "临时救助", "助学", "医疗救助"])
        hh = rng.randint(2, 12)
        assistance.append({"date": f"{year}-{m:02d}-{rng.randint(3, 27):02d}", "kind": kind,
                           "households": hh, "persons": hh * rng.randint(2, 4),
                           "amount_yuan": hh * rng.choice([300, 400, 500, 600, 800])})
    acts.sort(key=lambda a: a["date"])
    return acts, disputes, assistance


def qinqu():
    rng = random.Random(20240901)
    acts, disputes, assistance = ledger(rng, 2024, range(1, 13), (4, 7),
                                        [5, 2, 1, 1, 2, 1, 1, 2, 1], photo_prefix="photos")
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
        "disputes": disputes,
        "assistance": assistance,
        "plans": [
            {"month": "2025-01", "title": "开展“迎新春”民族团结联欢活动", "detail": "组织辖区各族群众共度新春，开展写春联、包饺子等活动。"},
            {"month": "2025-02", "title": "举办少数民族群众就业技能培训", "detail": "联合劳动保障站举办烹饪、家政等技能培训班2期。"},
            {"month": "2025-03", "title": "开展民族政策宣传进楼院活动", "detail": "利用“小马扎”宣讲队深入各小区宣讲党的民族政策。"},
        ],
        "problems": ["活动形式还有待进一步创新", "从事民族工作的人员还需要进一步加强系统培训",
                     "民族工作的资金投入还需要进一步加大"],
    }


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
    for y in range(h):
        row = bytearray([0])
        for x in range(w):
            c = sky if y < h * 3 // 5 else ground
            if h // 3 < y < h * 3 // 5 and w // 4 < x < w * 3 // 4:
                c = (180, 30, 30)  # stage backdrop
            for fx, fy, fc in figures:
                if (x - fx) ** 2 + (y - fy) ** 2 < 64 or (abs(x - fx) < 6 and fy < y < fy + 22):
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


def photos(data):
    for a in data["activities"]:
        for ph in a.get("photos", []):
            png(os.path.join(OUT, ph), 360, 240, a["date"])


def write(name, data):
    path = os.path.join(OUT, name)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(path)


if __name__ == "__main__":
    q = qinqu()
    write("qinqu.json", q)
    photos(q)
