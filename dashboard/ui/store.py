"""The process-wide engine, created (and the store migrated) once per Streamlit server."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st
from sqlalchemy import Engine
from sqlmodel import Session

from dashboard.core.bootstrap import prepare_store
from dashboard.core.db import session_scope
from dashboard.core.keys import MissingKeyError
from dashboard.core.settings import get_settings


@st.cache_resource(show_spinner="Preparing the store…")
def _prepared_engine() -> Engine:
    return prepare_store(get_settings())


def get_engine() -> Engine:
    """The store; on a non-demo store without its keys, the reason instead of any page (then stop)."""
    try:
        return _prepared_engine()
    except MissingKeyError as error:
        st.error(str(error))
        st.stop()


@contextmanager
def db_session() -> Iterator[Session]:
    """A unit of work: commits when the block ends, rolls back on error."""
    with session_scope(get_engine()) as session:
        yield session
