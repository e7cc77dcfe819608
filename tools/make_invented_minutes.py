"""Invented minutes in the layouts governments publish (all names and text made up for the tests).

`write_invented(out)` writes council.txt / council.pdf (cover page, 第25回 …会議, grouped 出席者, 欠席者,
議事次第, name + office labels, stage directions, footers), assembly.txt (会議録: 出席議員 with seat numbers,
○議長（…君）, 〔…〕, ――――◇――――), kokkai_meeting.json / kokkai_speech.json (the 国会会議録検索システム API
schema), council.docx and assembly.html, and returns {file name: path}.
"""

from __future__ import annotations

import json
from pathlib import Path

COUNCIL_PAGES = [
    "第25回\n消費者教育推進会議\n議事録\n\n令和元年７月\n消費者庁\n",
    """第25回消費者教育推進会議 議事録
日時：令和元年７月26日（金）14：00～15：56
場所：中央合同庁舎第４号館 共用第１特別会議室
出席者
委員：
東会長、千葉会長代理、青木委員、石川委員、
上田委員、江口委員、小田委員、川村委員
幹事：金融庁総合政策局：佐藤総合政策管理官
文部科学省総合教育政策局：高木男女共同参画共生社会学習・安全課長
消費者庁：宮腰大臣、伊藤長官、米山企画官
欠席者
大野委員、加藤委員
議事次第
１．開会
２．消費者教育の推進に関する基本方針の見直しについて
３．閉会
配付資料
資料１　見直しの論点（案）
○東会長　ただいまから第25回消費者教育推進会議を開催いたします。本日は御多忙の
ところお集まりいただき、ありがとうございます。
○宮腰大臣　大臣の宮腰でございます。若い世代の消費者被害を減らすため、学校と地
域が連携した教育をさらに進めてまいります。（拍手）
（宮腰大臣退室）
- 2 -
""",
    """第25回消費者教育推進会議 議事録
○東会長　それでは議事に入ります。事務局から資料１の説明をお願いします。
○米山企画官　企画官の米山です。資料１に沿って、見直しの論点を三つに分けて御説
明します。
　一つ目は成年年齢の引下げへの対応です。
○千葉会長代理　高校での授業時間の確保が課題になっていると聞いています。
○伊藤長官　７月９日付で各都道府県に通知を出し、教材の活用を依頼いたしました。
――――◇――――
○青木委員　地域の消費生活センターとの連携について伺います。〔「賛成」と呼ぶ者あり〕
3
""",
    """第25回消費者教育推進会議 議事録
○佐藤総合政策管理官　金融経済教育の観点からは、家計管理の教材を共通化したいと考
えております。
○石川委員　ありがとうございます。教員研修の充実もお願いしたいと思います。
○事務局　次回の日程は追って御連絡いたします。
○東会長　以上で本日の会議を終了いたします。
4/4
""",
]
COUNCIL_LABELS = [
    ("東", "会長"),
    ("宮腰", "大臣"),
    ("東", "会長"),
    ("米山", "企画官"),
    ("千葉", "会長代理"),
    ("伊藤", "長官"),
    ("青木", "委員"),
    ("佐藤", "総合政策管理官"),
    ("石川", "委員"),
    (None, "事務局"),
    ("東", "会長"),
]
COUNCIL_MEMBERS = ["東", "千葉", "青木", "石川", "上田", "江口", "小田", "川村"]

ASSEMBLY = """令和二年第一回定例会
架空都議会会議録第二号
令和二年二月二十六日（水曜日）
出席議員　百二十三名
一番　古城まさお君　　二番　北山花子君
三番　南田一郎君　　四番　西川次郎君
百十六番　増子ひろき君
欠席議員　一名
百二十番　東野三郎君
午後一時開議
○議長（石川良一君）　ただいまから本日の会議を開きます。
○議長（石川良一君）　日程第一を議題といたします。知事から施政方針の説明があります。
〔知事小池百合子君登壇〕
○知事（小池百合子君）　本日、定例会の開会に当たり、都政運営の基本的な考え方を申し
上げます。防災対策を一層強化してまいります。ご清聴ありがとうございました。（拍手）
――――◇――――
○百十六番（増子ひろき君）　質問いたします。水害への備えについて伺います。〔発言する者あり〕
- 2 -
○議長（石川良一君）　お諮りいたします。本案は委員会に付託したいと思いますが、ご異議ありませんか。
〔「異議なし」と呼ぶ者あり〕
○議長（石川良一君）　ご異議なしと認めます。よって、そのように決定いたしました。
〔賛成者起立〕
○議長（石川良一君）　以上で本日の日程は全部終了いたしました。これをもって散会いたします。
午後５時１５分散会
"""
ASSEMBLY_LABELS = [
    ("石川良一", "議長"),
    ("石川良一", "議長"),
    ("小池百合子", "知事"),
    ("増子ひろき", "百十六番"),
    ("石川良一", "議長"),
    ("石川良一", "議長"),
    ("石川良一", "議長"),
]


def kokkai_meeting() -> dict[str, object]:
    """One meeting in the meeting endpoint's shape (meetingRecord[] each with speechRecord[])."""
    issue = "121105254X00320230606"
    base = f"https://kokkai.ndl.go.jp/txt/{issue}"
    speeches = [
        ("会議録情報", None, None, None, None,
         "令和五年六月六日（火曜日）\n    午前九時開議\n 出席委員\n   委員長 山田太郎君\n   理事 川口花子君 理事 森一郎君\n"
         "      大川次郎君    小林三郎君\n 出席国務大臣\n   架空担当大臣 鈴木四郎君\n    ―――――――――――――\n"
         " 本日の会議に付した案件\n 架空地域振興法案（内閣提出第十号）\n    ―――――――――――――"),
        ("山田太郎", "やまだたろう", "自由民主党・無所属の会", "委員長", "委員長",
         "○山田委員長　これより会議を開きます。\n　架空地域振興法案を議題といたします。趣旨の説明を聴取いたします。鈴木国務大臣。"),
        ("鈴木四郎", "すずきしろう", None, "架空担当大臣", "国務大臣",
         "○鈴木国務大臣　ただいま議題となりました法案について、その趣旨を御説明申し上げます。\n　この法律案は、"
         "人口が減少する地域で路線バスを維持するため、自治体が運行計画を作る際の支援を定めるものであります。"),
        ("川口花子", "かわぐちはなこ", "立憲民主党・無所属", None, None,
         "○川口委員　路線バスの運転手不足について伺います。〔発言する者あり〕賃金の水準をどう考えていますか。"),
        ("鈴木四郎", "すずきしろう", None, "架空担当大臣", "国務大臣",
         "○鈴木国務大臣　運転手の確保は重要な課題と認識しております。処遇の改善に向けた支援を検討してまいります。"),
        ("山田太郎", "やまだたろう", "自由民主党・無所属の会", "委員長", "委員長",
         "○山田委員長　本日は、これにて散会いたします。\n    午前十時二十分散会"),
    ]
    records = [
        {
            "speechID": f"{issue}_{order:03d}",
            "speechOrder": order,
            "speaker": speaker,
            "speakerYomi": yomi,
            "speakerGroup": group,
            "speakerPosition": position,
            "speakerRole": role,
            "speech": speech,
            "startPage": 1,
            "createTime": "2023-06-20 10:00:00",
            "updateTime": "2023-06-20 10:00:00",
            "speechURL": f"{base}/{order}",
        }
        for order, (speaker, yomi, group, position, role, speech) in enumerate(speeches)
    ]
    meeting = {
        "issueID": issue,
        "imageKind": "会議録",
        "searchObject": 0,
        "session": 211,
        "nameOfHouse": "衆議院",
        "nameOfMeeting": "架空地域交通委員会",
        "issue": "第3号",
        "date": "2023-06-06",
        "closing": None,
        "speechRecord": records,
        "meetingURL": f"https://kokkai.ndl.go.jp/txt/{issue}/0",
        "pdfURL": None,
    }
    return {"numberOfRecords": 1, "numberOfReturn": 1, "startRecord": 1, "nextRecordPosition": None,
            "meetingRecord": [meeting]}


def kokkai_speech() -> dict[str, object]:
    """The same meeting in the speech endpoint's shape: flat speechRecord[] with meeting fields on each."""
    meeting = kokkai_meeting()["meetingRecord"][0]  # type: ignore[index]
    fields = {k: v for k, v in meeting.items() if k != "speechRecord"}
    records = [{**fields, **r} for r in meeting["speechRecord"] if r["speechOrder"] > 0]
    return {"numberOfRecords": len(records), "numberOfReturn": len(records), "startRecord": 1,
            "nextRecordPosition": None, "speechRecord": records}


def write_docx(target: Path) -> None:
    import docx

    document = docx.Document()
    for page_index, page in enumerate(COUNCIL_PAGES):
        if page_index:
            document.add_page_break()
        for line in page.splitlines():
            document.add_paragraph(line)
    document.save(str(target))


def assembly_html() -> str:
    body = "\n".join(f"<p>{line}</p>" for line in ASSEMBLY.splitlines() if line.strip())
    return f"""<!DOCTYPE html>
<html lang="ja"><head><meta charset="utf-8"><title>架空都議会 会議録</title>
<script>var tracking = "ページ閲覧";</script><style>p {{ margin: 0 }}</style></head>
<body>
<header><a href="/">架空都議会トップ</a> ＞ <a href="/kaigiroku/">会議録</a></header>
<nav><ul><li><a href="/gikai/">議会の紹介</a></li><li><a href="/giin/">議員名簿</a></li></ul></nav>
<main><div id="minutes">
{body}
</div></main>
<footer>Copyright 架空都議会 ページの先頭へ戻る</footer>
</body></html>
"""


def write_invented(out: Path) -> dict[str, Path]:
    from make_parse_fixtures import write_pdf

    out.mkdir(parents=True, exist_ok=True)
    written = {
        "council.txt": out / "council.txt",
        "council.pdf": out / "council.pdf",
        "assembly.txt": out / "assembly.txt",
        "kokkai_meeting.json": out / "kokkai_meeting.json",
        "kokkai_speech.json": out / "kokkai_speech.json",
        "council.docx": out / "council.docx",
        "assembly.html": out / "assembly.html",
    }
    written["council.txt"].write_text("\f".join(COUNCIL_PAGES), encoding="utf-8")
    write_pdf(COUNCIL_PAGES, written["council.pdf"])
    written["assembly.txt"].write_text(ASSEMBLY, encoding="utf-8")
    dump = {"ensure_ascii": False, "indent": 1}
    written["kokkai_meeting.json"].write_text(json.dumps(kokkai_meeting(), **dump), encoding="utf-8")  # type: ignore[arg-type]
    written["kokkai_speech.json"].write_text(json.dumps(kokkai_speech(), **dump), encoding="utf-8")  # type: ignore[arg-type]
    write_docx(written["council.docx"])
    written["assembly.html"].write_text(assembly_html(), encoding="utf-8")
    return written
