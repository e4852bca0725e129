"""python -m service [--studio DB | --model DIR] [--host 127.0.0.1] [--port 8000]: serve a model over
HTTP (service/app.py). `python -m core serve` hands over to this module."""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from core import paths


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m core serve", description=(
        "Serve a model over HTTP: POST /v1/tag, GET /v1/model, GET /v1/health, OpenAPI docs at /docs, and "
        "Label Studio's ML-backend protocol at the root. Without --studio and --model: the studio's "
        "database when there is one, else the bundled default model."))
    parser.add_argument("--studio", help="the studio database: serve its active version and follow promotions; "
                                         "its accounts' tokens guard the service; the Label Studio webhook saves "
                                         "corrections into it (default: NER_STUDIO_DB or data/studio.db, if it exists)")
    parser.add_argument("--model", help="serve this model folder, whatever the studio's active version")
    parser.add_argument("--host", default="127.0.0.1", help="default 127.0.0.1 (this machine only)")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--max-chars", type=int, default=None, help="characters per request (default 100,000)")
    parser.add_argument("--log-level", default="info")
    return parser


def make_app(args):
    from service.access import Studio
    from service.app import MAX_CHARS, build_app
    from service.source import ModelSource

    studio_path = args.studio or (str(paths.db_path()) if args.model is None and paths.db_path().exists() else None)
    studio = Studio(studio_path) if studio_path else None
    folder = args.model or (None if studio else str(paths.DEFAULT_MODEL))
    source = ModelSource(folder=folder, studio=studio, device=args.device)
    return build_app(source, studio, max_chars=args.max_chars or MAX_CHARS), studio


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.model is not None and not Path(args.model, "config.json").is_file():
        print(f"error: {args.model}: not a model folder (no config.json); pass --model DIR", file=sys.stderr)
        return 2
    if args.studio is not None and not Path(args.studio).parent.is_dir():
        print(f"error: --studio {args.studio}: its folder does not exist", file=sys.stderr)
        return 2
    import uvicorn

    app, studio = make_app(args)
    if studio is None or not studio.any_accounts():
        print("no accounts: only this machine may call the service (add accounts and issue tokens to serve others)",
              file=sys.stderr)
    print(f"serving {app.state.source.current().name} on http://{args.host}:{args.port} (docs: /docs)", file=sys.stderr)
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level.lower())
    return 0


if __name__ == "__main__":
    sys.exit(main())
