from __future__ import annotations

import sys

from kinlink.cli import main

sys.exit(main())
