"""Watch CIGMO's mixture while it trains: per epoch, on new identities, the share of items each
component holds (mean q(c | x) and argmax), the entropy of u(x), each component's reconstruction
loss, its items' mean grey level (the identity brightness the old data gave; `--grey 0.55 1`),
the clustering accuracy, and the ELBO per item on grouped views of held-out validation identities
(the criterion the defaults were chosen on); then the confusion matrix. The flags switch off the parts whose
absence made the first version collapse (batch normalisation, u's own trunk, the Gaussian
likelihood), one at a time.

    python -m weasul_cigmo.diagnose [--categories 3] [--identities 40] [--epochs 10] [--seed 0]
        [--likelihood bernoulli] [--no-batchnorm] [--shared-classifier] [--shared-view] [--shape-dim 16]
        [--scale 0.22 0.36 --shift 0.12] [--grey 0.55 1]
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from weasul_cigmo.metrics import clustering_accuracy
from weasul_cigmo.objects import GREY, SCALE, SHIFT, make_objects

__all__ = ["main"]


def main(argv: list[str] | None = None) -> None:
    import torch

    from weasul_cigmo import _nn

    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--categories", type=int, default=3)
    parser.add_argument("--identities", type=int, default=40, help="training identities per category")
    parser.add_argument("--views", type=int, default=6)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-groups", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--likelihood", choices=("gaussian", "bernoulli"), default="gaussian")
    parser.add_argument("--no-batchnorm", action="store_true")
    parser.add_argument("--shared-classifier", action="store_true", help="u reads the encoders' trunk")
    parser.add_argument("--scale", type=float, nargs=2, default=list(SCALE))
    parser.add_argument("--shift", type=float, default=SHIFT)
    parser.add_argument("--grey", type=float, nargs=2, default=list(GREY), help="identities' grey levels")
    parser.add_argument("--shared-view", action="store_true", help="one view encoder (paper App. B)")
    parser.add_argument("--shape-dim", type=int, default=16, help="M (paper: 100)")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    c = args.categories
    views = {
        "scale": (args.scale[0], args.scale[1]),
        "shift": args.shift,
        "grey": (args.grey[0], args.grey[1]),
    }
    train = make_objects(c, args.identities, args.views, seed=args.seed, **views)
    test = make_objects(c, 20, args.views, seed=10_000 + args.seed, **views)
    val = make_objects(c, 30, args.views, seed=20_000 + args.seed, **views)
    order = np.argsort(val.identities, kind="stable")
    x_val = torch.as_tensor(val.images[order])
    per = -(-args.views // 3)  # tuples of K = 3 views per identity
    seg_val = torch.as_tensor(val.identities[order] * per + np.tile(np.arange(args.views) // 3, 30 * c))
    net = _nn.build(
        (1, 32, 32),
        c,
        args.shape_dim,
        3,
        seed=args.seed,
        likelihood=args.likelihood,
        batchnorm=not args.no_batchnorm,
        separate_classifier=not args.shared_classifier,
        shared_view=args.shared_view,
    )
    grey = test.images.reshape(len(test.images), -1).max(1)
    x_test = torch.as_tensor(test.images)

    def report(epoch: int, model: Any) -> None:
        with torch.no_grad():
            post = model.infer(x_test)
            u = post["u"]
            nll = -model.log_likelihood(x_test, model.decode(post["z_mu"], post["y_mu"])).mean(0)
            state = torch.get_rng_state()  # the ELBO's samples must not change the training run
            torch.manual_seed(0)
            n_seg = int(seg_val.max()) + 1
            elbo = -np.mean([float(_nn.elbo_loss(model, x_val, seg_val, n_seg)) for _ in range(5)])
            torch.set_rng_state(state)
        hard = u.argmax(1).numpy()
        entropy = float(-(u * u.clamp_min(1e-8).log()).sum(1).mean())
        shades = [round(float(grey[hard == k].mean()), 2) if (hard == k).any() else None for k in range(c)]
        print(
            f"epoch {epoch:2d}: accuracy {clustering_accuracy(test.categories, hard):.3f}, "
            f"mean q(c|x) {np.round(u.mean(0).numpy(), 2)}, "
            f"argmax shares {np.round(np.bincount(hard, minlength=c) / len(hard), 2)}, "
            f"entropy of u {entropy:.2f} (uniform {np.log(c):.2f}), "
            f"recon loss per component {np.round(nll.numpy(), 1)}, "
            f"mean grey level per component {shades}, "
            f"held-out ELBO per item {elbo * n_seg / len(x_val):.2f}",
            flush=True,
        )

    report(0, net.eval())
    _nn.train(
        net,
        train.images,
        train.groups,
        group_size=3,
        epochs=args.epochs,
        batch_groups=args.batch_groups,
        lr=1e-3,
        seed=args.seed,
        on_epoch=report,
    )
    with torch.no_grad():
        hard = net.infer(x_test)["u"].argmax(1).numpy()
    confusion = np.zeros((c, c), dtype=int)
    np.add.at(confusion, (test.categories, hard), 1)
    print("confusion (rows: true category, columns: component)")
    print(confusion)


if __name__ == "__main__":
    main()
