"""What is not speech: stage directions, separators and cover-page material.

- `split_directions(text)` → (text without directions, directions): 〔「異議なし」と呼ぶ者あり〕, 〔賛成者起立〕,
  〔小山展弘君登壇〕, （拍手）, （宮腰大臣退室）, （速記中止）. Tortoise brackets 〔〕 always hold directions;
  parentheses only when their content reads as one (拍手, 登壇, 退室, 呼ぶ者あり …).
- `is_direction_line(text)`: a line that is only directions.
- `is_separator(text)`: ――――◇――――, ─────, ・・・・ lines.
"""

from __future__ import annotations

import re

# a parenthesis that ends with one of these is a direction: （拍手）（宮腰大臣退室）（「異議なし」と呼ぶ者あり）
_DIRECTION_ENDINGS = (
    r"拍手|登壇|降壇|退室|入室|退席|着席|離席|呼ぶ者あり|言う者あり|発言する者あり|発言する者多し|発言する者多く|"
    r"速記中止|速記開始|笑声|笑い|議場騒然|賛成者起立|起立者多数|挙手者多数|資料投影|映像投影|動画上映|写真撮影|"
    r"カメラ退室|報道退室|プレス退室|報道関係者退室"
)
# these only when they are the whole content (or follow a clock time): （休憩）（午後１時再開）（なし）
_DIRECTION_WHOLE = r"なし|異議なし|異議あり|休憩|再開|散会|閉会|開会|挙手|起立|入場|退場|速記|拍手多数"
_TORTOISE_RE = re.compile(r"〔[^〔〕]{1,80}〕")
_PAREN_DIRECTION_RE = re.compile(
    rf"[（(](?:[^（）()]{{0,30}}?(?:{_DIRECTION_ENDINGS})|(?:(?:午前|午後)\S{{1,8}}時\S{{0,6}})?(?:{_DIRECTION_WHOLE}))[）)]"
)
_SEPARATOR_RE = re.compile(
    r"^[―─━‐\-－＿_=＝*＊・…〜~]{2,}\s*(?:[◇◆○□■☆★◎●]\s*[―─━‐\-－＿_=＝*＊・…〜~]{2,}\s*)*$"
)


def split_directions(text: str) -> tuple[str, tuple[str, ...]]:
    """(text with stage directions removed, the directions in order, brackets stripped)."""
    found: list[tuple[int, str]] = []

    def take(m: re.Match[str]) -> str:
        found.append((m.start(), m[0][1:-1].strip()))
        return "\0"

    out = _TORTOISE_RE.sub(take, text)
    out = _PAREN_DIRECTION_RE.sub(take, out)
    if not found:
        return text, ()
    cleaned = re.sub(r"[ \u3000]*\0[ \u3000]*", "", out)
    cleaned = re.sub(r"\n{2,}", "\n", cleaned).strip(" \u3000\n")
    return cleaned, tuple(d for _, d in found)


def is_direction_line(text: str) -> bool:
    stripped, directions = split_directions(text)
    return bool(directions) and not stripped


def is_separator(text: str) -> bool:
    return bool(_SEPARATOR_RE.match(text.strip()))
