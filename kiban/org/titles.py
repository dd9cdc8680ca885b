"""Titles (役職) and their rank inside a department (職位順), for the HR import, the demo and the org actions."""

from __future__ import annotations

# 職位順: lower sorts first inside a department. An explicit table of the titles a prefecture uses, each
# with its own place: 副課長, 課長代理 and 課長補佐 rank below 課長, 副主幹 below 主幹. A title not in the table is
# read by the longest table title it ends with, when what precedes is a qualifier or an organisation's name
# (総務課長 → 課長, 総括課長補佐 → 課長補佐) but not 副 (an unknown 副… is not the one it deputises); a
# title with 兼 ranks as its highest part (課長補佐兼係長 → 課長補佐).
TITLE_RANKS = {
    "知事": 1, "副知事": 2, "教育長": 5, "局長": 10, "部長": 10, "事務局長": 10, "会計管理者": 10,
    "理事": 12, "副局長": 15, "副部長": 15, "次長": 20, "所長": 25, "副所長": 27, "参事": 28,
    "課長": 30, "室長": 30, "副参事": 33, "副課長": 34, "副室長": 34, "課長代理": 35, "室長代理": 35,
    "課長補佐": 40, "室長補佐": 40, "主幹": 42, "副主幹": 45, "係長": 50, "班長": 50, "主査": 60,
    "主任主事": 70, "主任技師": 70, "主任": 70, "主事": 80, "技師": 80, "主事補": 85, "技手": 85,
    "会計年度任用職員": 95,
}  # fmt: skip
DEFAULT_RANK = 100
_TITLES_LONGEST_FIRST = sorted(TITLE_RANKS, key=len, reverse=True)


def rank_for_title(title: str) -> int:
    title = title.strip()
    if "兼" in title:
        return min(rank_for_title(part) for part in title.split("兼"))
    if title in TITLE_RANKS:
        return TITLE_RANKS[title]
    for known in _TITLES_LONGEST_FIRST:
        if title.endswith(known):
            return DEFAULT_RANK if title[: -len(known)].endswith("副") else TITLE_RANKS[known]
    return DEFAULT_RANK
