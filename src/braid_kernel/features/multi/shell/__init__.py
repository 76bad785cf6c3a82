"""Multi mode's IPython half: the sessions and their ``%braid`` commands."""
