"""Time one fit/predict cycle of `template` on generated data; prints JSON.

Add the peer you compare against (measured in this same run) and print the ratio.
"""

import json
import time

from weasul.testing import samples

from weasul_template.template import TemplateLabelModel

if __name__ == "__main__":
    plugin = TemplateLabelModel()
    L, _ = samples.label_matrix(n=20_000, m=10, k=2, seed=0)
    start = time.perf_counter()
    plugin.fit(L).predict_proba(L)
    seconds = time.perf_counter() - start
    print(json.dumps({"plugin": "template", "seconds": round(seconds, 4)}))
