"""The other async library on demand: trio code on an asyncio kernel, and the other way round.

* :mod:`.engine` — ``await run_on("trio", fn, *args)`` (no IPython), a name in every namespace;
* :mod:`.shell` — the ``%trio`` / ``%asyncio`` magics and the input transformer that awaits them.
"""
