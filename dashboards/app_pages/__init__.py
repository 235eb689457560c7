"""Portal pages, one ``st.Page`` script each; ``dashboards/app.py`` registers them.

Every page starts with ``scope = auth.page_guard("<page id>")`` and passes ``db.publish_id()``
and ``scope`` into every cached loader (see ``dashboards.lib.db``).
"""
