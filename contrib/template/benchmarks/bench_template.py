"""Time one fit/predict cycle of `template` on generated data; prints JSON."""

import json
import time

import numpy as np

from weasul.testing import checks

from weasul_template import TemplateLabelModel

if __name__ == "__main__":
    plugin = TemplateLabelModel()
    start = time.perf_counter()
    checks._exercise(plugin)
    print(json.dumps({"plugin": "template", "seconds": round(time.perf_counter() - start, 4)}))
