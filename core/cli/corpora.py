"""`python -m core prepare` (the bundled corpora and encoders), `silver` (a corpus with a model's
spans written in) and `teach` (teachers label the modern news)."""
from __future__ import annotations

import json
from pathlib import Path

from core.cli.tag import _progress_bar, _tagger


def cmd_silver(args) -> int:
    from core.training.silver import silver_corpus
    from core.data.corpus_files import corpus_folder, pair_paths

    source = corpus_folder(args.corpus, args.data_dir)
    train_chars = pair_paths(source, "train")[0]
    if not train_chars.exists():
        raise SystemExit(f"error: {source} has no {train_chars.name} (a bundled name needs the set-up: "
                         "python -m core prepare)")
    tagger = _tagger(args.model, args.device, args.batch_size)
    types = set(args.types.split(","))
    unknown = types - set(tagger.model.entity_types)
    if unknown:
        raise SystemExit(f"error: the model does not tag {', '.join(sorted(unknown))}")
    with _progress_bar(None, args.quiet) as bar:  # characters tagged, over the train and dev splits
        added = silver_corpus(source, Path(args.out), tagger, types, progress=bar.update)
    print(f"{args.out}: silver {','.join(sorted(types))} spans added: "
          + ", ".join(f"{split} {count:,}" for split, count in added.items()))
    return 0


def cmd_teach(args) -> int:
    from core.data import inews
    from core.training import teachers

    def bar(total, name):
        from tqdm import tqdm

        return tqdm(total=total, unit="sentence", unit_scale=True, disable=args.quiet, desc=name, dynamic_ncols=True)

    tags = teachers.run_teachers(args.teacher or ["lac", "models/fast"], args.data_dir, args.limit, bar)
    sentences = inews.read_sentences(args.data_dir, args.limit)
    out = Path(args.out) if args.out else inews.corpus_dir(args.data_dir).parent / teachers.SILVER_FOLDER
    info = teachers.combine(sentences, tags, out, sample=args.sample)
    print(json.dumps({k: info[k] for k in ("teachers", "sentences", "characters_agreed")}, ensure_ascii=False))
    for pair, rows in info["agreement"].items():
        print(f"{pair}: " + ", ".join(f"{t} F1 {r['f1']:.3f} ({r['agreed']:,} agreed)" for t, r in rows.items()))
    print(f"silver corpus in {out} (train it with --data msra,pd,{out})")
    return 0


def cmd_prepare(args) -> int:
    from core.data.prepare import run_args

    return run_args(args)
