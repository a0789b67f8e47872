"""``python -m bigday.target``: how running_target starts the server in a subprocess."""

import sys

from bigday.target.main import main

sys.exit(main())
