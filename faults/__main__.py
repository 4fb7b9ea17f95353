import sys

from faults.run import main

sys.exit(main())
