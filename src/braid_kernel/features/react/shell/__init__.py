"""Reactive mode's IPython half: its ``%braid`` commands and the ``braid.dataflow`` comm."""
