"""`python -m web.gradio_patches`: lists the adjustments of gradio; exits 1 if one turned itself off."""

import sys

from . import main

sys.exit(main())
