"""Speaker labels: 「○青木委員　」「〇河野大臣：」「○議長（石川良一君）　」「○事務局　」 → (speaker, role).

Markers: ○ (U+25CB), 〇 (U+3007), ◯ (U+25EF); ◎ and ● count only when a resolvable label follows.
The label ends at a colon (：/:), a space or an ideographic space. Forms:
- role（name君）: 議長（額賀福志郎君） → (額賀福志郎, 議長);
- name君: 鈴木隼人君 → (鈴木隼人, None);
- a bare role: 事務局, 委員長 → (None, role);
- name + role: 青木委員, 千葉会長代理, 宮腰大臣, 米山企画官, 大倉環境影響評価課長. The role vocabulary is
  open: known role words first, then any word ending in 官/長/員/臣/代理. What precedes an office word is a
  name unless it names an organisation (防災課長, 総務大臣 stay whole roles). A `Roster` (the document's
  attendee names) settles the split first: a label that starts with a roster name splits after it.
`resolve_label` returns None when the text is not a label at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from rag.types import Meeting

MARKERS = ("○", "◯", "〇")
WEAK_MARKERS = ("◎", "●")  # speaker markers only when a label follows

# a name may precede these: 青木委員, 千葉会長代理
PERSON_ROLES = (
    "部会長代理 分科会長代理 委員長代理 会長代理 座長代理 議長代理 副委員長 委員長 副議長 議長 副座長 座長 "
    "副会長 分科会長 部会長 会長 主査 臨時委員 専門委員 特別委員 委員 議員 構成員 政府参考人 参考人 "
    "説明員 オブザーバー 司会 理事 幹事 書記 証人 公述人"
).split()
# offices: what precedes them is either an organisation (防災課長) or a name (宮腰大臣)
OFFICES = (
    "内閣総理大臣 総理大臣 副大臣 大臣政務官 政務官 大臣 長官 事務次官 次官 官房長 事務局長 事務局次長 事務局 "
    "局長 次長 部長 課長補佐 課長 室長 所長 センター長 審議官 参事官 企画官 計画官 調査官 政策統括官 統括官 "
    "管理官 調整官 専門官 分析官 監理官 技監 主幹 係長 副知事 知事 副市長 市長 町長 村長 区長 総裁 副総裁 "
    "理事長 教育長 補佐 担当"
).split()
ROLE_WORDS = sorted(PERSON_ROLES + OFFICES, key=len, reverse=True)
BARE_ROLES = frozenset(PERSON_ROLES + OFFICES + ["座長", "事務局", "司会者", "進行"])
# organisations that may precede an office word: the whole label is then an office, not a person
ORG_WORDS = (
    "内閣総理 内閣官房 内閣府 内閣 国務 官房 総務 法務 外務 財務 文部科学 文科 厚生労働 厚労 農林水産 農水 経済産業 "
    "経産 国土交通 国交 環境 防衛 復興 防災 デジタル 消費者 こども 金融 警察 消防 環境影響評価 総合政策 政策 企画 "
    "総括 大臣官房 会計 人事 秘書 広報 地球環境 自然環境 産業 経済 財政 税務 教育 保健 福祉 都市 建設 土木 農政 "
    "水産 林野 気象 海上保安 特許 資源エネルギー エネルギー 中小企業 観光 文化 スポーツ 国税 公安 宮内 事務 調整 "
    "地方 地域 国際 情報 審議 総合 統括 計画 危機管理 男女共同参画 科学技術 原子力 規制 安全 食品 水道 交通 商工 "
    "議会 選挙 監査 出納 会計管理 生活 市民 県民 都民 区民 子ども 保険 年金 労働 雇用 職業 障害 医療 医政 健康 "
    "衛生 統計 行政 政務 大臣 副"
).split()
_ORG_SUFFIX = re.compile(r"(?:省|庁|府|局|課|部|室|県|都|道|市|町|村|区|院|所|センター|本部|委員会|審議会|協議会)$")
_GENERIC_ROLE = re.compile(r"(?:官|長|員|臣|代理|補佐|参与|顧問)$")
_NAME_CHARS = re.compile(r"^[一-龥々〆ヶケ㐀-䶵\u3040-\u309f\u30a0-\u30ffー・]{1,8}$")
_ROLE_PAREN_RE = re.compile(
    r"^(?P<role>[^（(\s]{1,20})[（(](?P<name>[^）)]{1,20}?)(?:君|くん|さん|氏)?[）)]$"
)
_KUN_RE = re.compile(r"^(?P<name>[^\s、。,（）()]{1,10})(?:君|氏)$")
_DISAMBIGUATED_RE = re.compile(r"^(?P<name>[^\s（(]{1,6}[（(][^）)\s]{1,3}[）)])(?P<role>[^\s（()）]{1,20})$")
_LABEL_RE = re.compile(r"^(?P<label>[^\s:：]{1,40}?)(?P<sep>\s*[:：]\s*|[\s\u3000]+|$)(?P<rest>.*)$", re.S)


@dataclass
class Roster:
    """Names known from the document itself (出席者, 委員名簿, TEI listPerson): full names and surnames."""

    names: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, names: Iterable[str]) -> Roster:
        roster = cls()
        for name in names:
            roster.add(name)
        return roster

    def add(self, name: str) -> None:
        name = name.strip(" \u3000")
        if not name or len(name) > 12:
            return
        parts = name.split()
        if len(parts) >= 2 and len(parts[0]) <= 4:
            self.names.add(parts[0])  # surname
        joined = "".join(parts)
        if joined and not is_role_like(joined):
            self.names.add(joined)

    def split(self, label: str) -> tuple[str, str] | None:
        """(name, role) when `label` starts with a roster name followed by a role-like word."""
        for name in sorted(self.names, key=len, reverse=True):
            if label.startswith(name) and len(label) > len(name):
                rest = label[len(name) :]
                m = re.match(r"^[（(][^）)\s]{1,3}[）)]", rest)
                if m:
                    name, rest = name + m[0], rest[m.end() :]
                if rest and is_role_like(rest) and len(rest) <= 20:
                    return name, rest
        return None


def is_org(word: str) -> bool:
    """True for an organisation word: 総務, 防災, 環境影響評価, 消費者庁 …"""
    return word in ORG_WORDS or (len(word) >= 3 and bool(_ORG_SUFFIX.search(word))) or any(
        word.startswith(o) and len(o) >= 2 and len(word) - len(o) <= 6 and word[len(o) :] in ORG_WORDS
        for o in ORG_WORDS
    )


def _starts_org(word: str) -> bool:
    return any(word.startswith(o) for o in ORG_WORDS if len(o) >= 2) or is_org(word)


def is_role_like(word: str) -> bool:
    return word in BARE_ROLES or any(word.endswith(r) for r in ROLE_WORDS) or bool(_GENERIC_ROLE.search(word))


def _role_suffix(label: str) -> str | None:
    for role in ROLE_WORDS:
        if label.endswith(role):
            return role
    m = re.search(r"[^\s]{2}(?:官|長|員|臣)$", label)
    return m[0] if m else None


def resolve_label(label: str, roster: Roster | None = None) -> tuple[str | None, str | None] | None:
    """(speaker, role) for a speaker label, or None when `label` is not one."""
    label = label.strip(" \u3000:：")
    if not label or len(label) > 40 or re.search(r"[、。，．,！？!?「」]", label):
        return None
    if label in BARE_ROLES:
        return None, label
    m = _ROLE_PAREN_RE.match(label)
    if m:
        return m["name"].strip(" \u3000"), m["role"]
    m = _KUN_RE.match(label)
    if m:
        return m["name"], None
    if roster is not None:
        found = roster.split(label)
        if found:
            return found
    m = _DISAMBIGUATED_RE.match(label)
    if m and is_role_like(m["role"]):
        return m["name"], m["role"]
    suffix = _role_suffix(label)
    if suffix is None:
        return None
    head = label[: -len(suffix)]
    if not head:
        return None, label
    if suffix in PERSON_ROLES and suffix not in OFFICES:
        if is_org(head) or not _NAME_CHARS.match(head) or len(head) > 10:
            return (None, label) if _starts_org(head) else None
        return head, suffix
    if is_org(head):
        return None, label
    for k in (2, 3, 1, 4):
        if k < len(head) and not is_org(head[:k]) and _starts_org(head[k:]) and _NAME_CHARS.match(head[:k]):
            return head[:k], label[k:]
    if len(head) <= 4 and _NAME_CHARS.match(head):
        return head, suffix
    if len(label) <= 16 and _starts_org(head):
        return None, label
    return None


def split_label(rest: str) -> tuple[str, str, str] | None:
    """(label, separator, text) of what follows a marker, or None when no label-shaped token starts it."""
    if not rest or rest[:1] in (" ", "\u3000"):
        return None
    m = _LABEL_RE.match(rest)
    if not m:
        return None
    return m["label"], m["sep"], m["rest"]


def roster_of(meeting: Meeting) -> Roster:
    """The roster of a parsed header: attendee and absentee names (titles such as 委員 left out)."""
    roster = Roster()
    for person in (*meeting.attendees, *meeting.absentees):
        roster.add(person.name)
    return roster
