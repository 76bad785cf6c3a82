"""The engine half of distributed cancellation (no IPython): :mod:`.work` (the rule),
:mod:`.dask_futures` (Dask's hook); :mod:`.watch`, what the kernel holds
until the user imports Dask's client, imports the first two then.  This package re-exports
nothing, so that importing it loads none of them."""
