"""Set-up: write the bundled corpora as chars/TAG pairs under data/corpora and build the bundled
encoder. Safe to run twice: complete outputs (per manifest.json) are left alone.

    python -m core.prepare [--data-dir data] [--force] [--skip-encoder]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from pathlib import Path

from core import bundled, corpora

MANIFEST_FORMAT = 2  # bump when the conversion changes, so old outputs get rewritten (2: 邓小平理论 names its person)
SPLITS = ("train", "dev", "test")


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


def _write_atomically(path: Path, write) -> None:
    """write(tmp_path) then rename over path, so a reader never sees half a file."""
    tmp = path.with_name(f".{path.name}.tmp")
    write(tmp)
    os.replace(tmp, path)


def _write_split(root: Path, corpus: str, split: str, sentences) -> list[str]:
    folder = root / corpus
    folder.mkdir(parents=True, exist_ok=True)
    chars, tags = folder / f"{split}.txt", folder / f"{split}_TAG.txt"
    tmp_chars, tmp_tags = folder / f".{split}.txt.tmp", folder / f".{split}_TAG.txt.tmp"
    corpora.write_pair(sentences, tmp_chars, tmp_tags)
    os.replace(tmp_chars, chars)
    os.replace(tmp_tags, tags)
    return [f"{corpus}/{split}.txt", f"{corpus}/{split}_TAG.txt"]


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
    text = json.dumps(summary, ensure_ascii=False, indent=1)
    _write_atomically(root / "summary.json", lambda p: p.write_text(text, encoding="utf-8"))
    files.append("summary.json")
    manifest = {"format": MANIFEST_FORMAT, "files": {f: _sha256(root / f) for f in files}}
    _write_atomically(root / "manifest.json",
                      lambda p: p.write_text(json.dumps(manifest, indent=1), encoding="utf-8"))
    return summary


def prepare(data_dir="data", force=False, build_encoder=True) -> dict:
    """Write data/corpora/{msra,pd}/{train,dev,test}.txt + _TAG.txt and summary.json, then the
    bundled encoder. Returns the summary, with "skipped" true when the corpora were complete."""
    root = Path(data_dir) / "corpora"
    root.mkdir(parents=True, exist_ok=True)
    summary = None if force else _complete(root)
    skipped = summary is not None
    if summary is None:
        summary = _build_corpora(root)
    if build_encoder:
        from core.encoders import build_bundled_encoder

        summary["encoder"] = str(build_bundled_encoder(Path(data_dir) / "encoders" / "e5-small"))
    return {**summary, "skipped": skipped}


def format_summary(summary: dict) -> str:
    labels = sorted({label for corpus in ("msra", "pd") for stats in summary[corpus].values()
                     for label in stats["entities"]})
    header = f"{'corpus':<8}{'split':<7}{'sentences':>10}{'chars':>11}" + \
        "".join(f"{label:>8}" for label in labels)
    rows = [header]
    for corpus in ("msra", "pd"):
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
                        help="write the corpora only, not data/encoders/e5-small")
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
    if "encoder" in summary:
        print(f"encoder in {summary['encoder']}")
    return 0


def main(argv=None) -> int:
    parser = add_arguments(argparse.ArgumentParser(prog="python -m core prepare", description=__doc__))
    return run_args(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
