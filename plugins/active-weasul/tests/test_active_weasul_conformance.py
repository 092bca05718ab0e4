from weasul.testing import parametrize_with_checks
from weasul_active_weasul import Margin, MaxKL, NashaatQuery, RandomBucket, RandomItems, StoreOracle
from weasul_active_weasul.label_model import ActiveWeaSuL, NashaatModel

PLUGINS = [
    *ActiveWeaSuL.examples(),
    NashaatModel(n_classes=2),
    MaxKL(),
    MaxKL(seed=4),
    Margin(),
    RandomBucket(),
    RandomItems(),
    NashaatQuery(),
    *StoreOracle.examples(),
]


@parametrize_with_checks(PLUGINS)
def test_conformance(plugin, check):
    check(plugin)
