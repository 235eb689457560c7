"""Chinese (default) and English: ``tr("中文", "English")`` picks the session's language."""

from __future__ import annotations

import streamlit as st

_KEY = "zt_lang"
_WIDGET = "zt_lang_switch"
LANGS = ("zh", "en")


def lang() -> str:
    """The session's language: ``"zh"`` (default) or ``"en"``."""
    try:
        value = st.session_state.get(_KEY, "zh")
    except Exception:  # noqa: BLE001 - no script run context (CLI, plain tests)
        return "zh"
    return value if value in LANGS else "zh"


def tr(zh: str, en: str) -> str:
    return en if lang() == "en" else zh


def _switched() -> None:
    value = st.session_state.get(_WIDGET)
    st.session_state[_KEY] = value if value in LANGS else "zh"


def language_switch() -> None:
    """Sidebar language selector; the choice is kept in ``st.session_state["zt_lang"]``."""
    current = lang()
    st.session_state[_WIDGET] = current
    st.sidebar.radio(
        "语言 / Language",
        LANGS,
        format_func=lambda v: "中文" if v == "zh" else "English",
        key=_WIDGET,
        horizontal=True,
        on_change=_switched,
    )
