"""The small from-scratch BERT of the Table 3 experiment: vocabulary, packing, MLM head, fine-tuning."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from weasul_tadpole import _smallbert as sb  # noqa: E402
from weasul_tadpole._mlm import MLM  # noqa: E402
from weasul_tadpole.finetune import finetune, macro_f1  # noqa: E402

FILLER = "the a film story plot we it was is and of to this that with very".split()
POS = "great wonderful superb lovely brilliant".split()
NEG = "awful terrible dreadful boring horrible".split()


def _sentences(n: int, seed: int) -> tuple[list[str], np.ndarray]:
    """Sentiment-like sentences: filler words plus one or two cue words that decide the label."""
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for _ in range(n):
        y = int(rng.integers(2))
        words = list(rng.choice(FILLER, size=int(rng.integers(4, 9))))
        for _ in range(int(rng.integers(1, 3))):
            words.insert(int(rng.integers(len(words) + 1)), str(rng.choice(POS if y else NEG)))
        texts.append(" ".join(words) + " .")
        labels.append(y)
    return texts, np.asarray(labels)


@pytest.fixture(scope="module")
def tokenizer():
    torch.set_num_threads(1)
    texts, _ = _sentences(400, 0)
    return sb.train_wordpiece(texts, vocab_size=200, min_frequency=1)


def test_wordpiece_tokenizer_is_trained_and_adds_specials(tokenizer):
    assert len(tokenizer) <= 200 and tokenizer.mask_token_id is not None
    ids = tokenizer("the film was great .")["input_ids"]
    assert ids[0] == tokenizer.cls_token_id and ids[-1] == tokenizer.sep_token_id
    assert tokenizer.unk_token_id not in ids  # every word was in the training texts


def test_pack_never_joins_segments_and_fills_instances(tokenizer):
    segments = [["the film was great ."] * 6, ["awful plot ."]]
    inst = sb.pack(tokenizer, segments, max_length=16)
    per = len(tokenizer("the film was great .", add_special_tokens=False)["input_ids"])  # 5 tokens
    assert [len(x) for x in inst] == [2 + 2 * per] * 3 + [2 + 3]  # 2 sentences fit in 14 tokens
    assert all(x[0] == tokenizer.cls_token_id and x[-1] == tokenizer.sep_token_id for x in inst)
    last = tokenizer.decode(inst[-1][1:-1].tolist())
    assert "great" not in last and "awful" in last  # the second segment starts its own instance


def test_mlm_head_is_tied_and_its_loss_falls_on_a_repeated_batch(tokenizer):
    model = sb.new_mlm(len(tokenizer), layers=1, hidden=32, heads=2, max_length=32, seed=0)
    assert (
        model.cls.predictions.decoder.weight.data_ptr()
        == model.bert.embeddings.word_embeddings.weight.data_ptr()
    )
    lm = MLM(tokenizer, model, max_length=32)
    texts, _ = _sentences(16, 1)
    seqs = lm.tokenize(texts)
    before = lm.evaluate(seqs, seed=3)
    assert before == pytest.approx(np.log(len(tokenizer)), abs=1.0)  # untrained: about uniform
    losses = lm.train(seqs, steps=120, batch_size=16, lr=3e-3, seed=0)
    after = lm.evaluate(seqs, seed=3)
    assert after < before - 1.5
    assert np.mean(losses[-10:]) < np.mean(losses[:10]) - 1.0


def test_finetuning_reaches_high_accuracy_on_a_separable_text_set(tokenizer):
    model = sb.new_mlm(len(tokenizer), layers=1, hidden=32, heads=2, max_length=32, seed=0)
    train, dev, test = _sentences(300, 2), _sentences(100, 3), _sentences(200, 4)
    res = finetune(
        model.bert, tokenizer, train, dev, test, n_classes=2, epochs=6, lr=3e-3, batch_size=16, seed=0
    )
    assert res.test_acc > 0.95 and res.test_macro_f1 > 0.95
    assert len(res.dev_acc) == 6 and res.dev_acc[res.best_epoch - 1] == max(res.dev_acc)
    # the encoder passed in is left as it was (fine-tuning works on a copy)
    fresh = sb.new_mlm(len(tokenizer), layers=1, hidden=32, heads=2, max_length=32, seed=0)
    assert torch.equal(
        fresh.bert.embeddings.word_embeddings.weight, model.bert.embeddings.word_embeddings.weight
    )


def test_finetuning_on_shuffled_labels_stays_at_chance(tokenizer):
    model = sb.new_mlm(len(tokenizer), layers=1, hidden=32, heads=2, max_length=32, seed=0)
    (tr_x, tr_y), dev, test = _sentences(300, 2), _sentences(100, 3), _sentences(300, 4)
    shuffled = np.random.default_rng(0).permutation(tr_y)
    res = finetune(model.bert, tokenizer, (tr_x, shuffled), dev, test, n_classes=2, epochs=3, lr=3e-3, seed=0)
    assert 0.35 < res.test_acc < 0.65


def test_macro_f1_matches_its_definition():
    y = np.array([0, 0, 1, 1, 2, 2])
    p = np.array([0, 1, 1, 1, 2, 0])
    f = [2 * 1 / (2 + 2), 2 * 2 / (2 + 3), 2 * 1 / (2 + 1)]
    assert macro_f1(y, p, 3) == pytest.approx(np.mean(f))


def test_embed_is_normalised_and_order_preserving(tokenizer):
    model = sb.new_mlm(len(tokenizer), layers=1, hidden=32, heads=2, max_length=32, seed=0)
    texts = ["the film .", "a very very long story of this plot that was boring and awful .", "great ."]
    E = sb.embed(tokenizer, model.bert, texts, batch_size=2)
    assert E.shape == (3, 32) and np.allclose(np.linalg.norm(E, axis=1), 1.0, atol=1e-5)
    assert np.allclose(sb.embed(tokenizer, model.bert, texts[::-1])[::-1], E, atol=1e-5)
