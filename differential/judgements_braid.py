"""Verdicts on the divergences of braid's own sequences (``h50_braid.py``), merged into the
shared ``judgements.py`` by ``python3 dev.py diff`` (keys of this project's sequences only: the
shared verdicts are never overridden here; disagreements with them go into the closing notes).

Same form as the shared file: ``"<sequence>/<cell index>": (verdict, reason)``.
"""

W, D, B = "worse", "different", "better"

JUDGEMENTS: dict[str, tuple[str, ...]] = {
    "braid-unencodable-output/7": (
        B,
        "When %xmode Docs' formatter fails, both fall back to Python's plain traceback; braid sends it as "
        "the cell's error output without IPython's own frames, ipykernel as stdout+stderr streams that "
        "also show the formatter's failure",
    ),
    "braid-unencodable-output/9": (
        D,
        "display() of data JSON cannot hold: ipykernel raises at the call (error reply); braid encodes on "
        "its I/O thread after the call returned, so the cell is ok and gets a stderr line naming the "
        "dropped message (issue 23's contract: the message alone is lost, the cell is told)",
    ),
    "braid-patched-functions/3": (
        B,
        "braid's input() passes for builtins.input (name 'input', the builtin's positional-only "
        "signature); ipykernel's is its own method raw_input with another signature",
    ),
}
