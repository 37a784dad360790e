"""What every tab gets beside Run, each panel a module with `attach(tab)`: app.py attaches them all in a loop."""

from . import batch, code, compare

PANELS = (code, compare, batch)  # in the order they appear under a tab
