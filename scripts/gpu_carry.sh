#!/usr/bin/env bash
# Builds .devcarry/ (git-ignored) for scripts/gpu_students.sh on a lent GPU, under the lease's 64 MiB:
# the two wheels the GPU image lacks, m3e-small in float16, and the corpora + LAC's weights xz'd with the
# silver news cut to its first 90,000 sentences. The repository's two model weights also travel unless
# they are swapped for symbolic links during the call (the lease copies a link as a link):
#     for m in default fast; do cp models/$m/model.safetensors /tmp/$m.safetensors; ln -sf /tmp/$m.safetensors models/$m/model.safetensors; done
#     ... the device call, carry [".devcarry"] ...;  git checkout models/    # the weights back
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf .devcarry && mkdir -p .devcarry/m3e-small
.venv/bin/pip download -q --no-deps pytorch-crf==0.7.2 -d .devcarry/whl
.venv/bin/pip wheel -q --no-deps seqeval==1.2.2 -w .devcarry/whl
cp data/encoders/m3e-small/{config.json,encoder_info.json,special_tokens_map.json,tokenizer.json,tokenizer_config.json} .devcarry/m3e-small/
.venv/bin/python - <<'PY'
from safetensors.torch import load_file, save_file
weights = load_file("data/encoders/m3e-small/model.safetensors")
save_file({k: (v.half() if v.is_floating_point() else v).contiguous() for k, v in weights.items()},
          ".devcarry/m3e-small/model.safetensors", metadata={"format": "pt"})
PY
stage=$(mktemp -d) && mkdir -p "$stage/data/corpora/inews-silver" "$stage/data/encoders"
cp -r data/corpora/msra data/corpora/pd data/corpora/manifest.json "$stage/data/corpora/"
cp data/corpora/inews-silver/{corpus.json,dev.txt,dev_TAG.txt} "$stage/data/corpora/inews-silver/"
for f in train.txt train_TAG.txt; do head -90000 "data/corpora/inews-silver/$f" > "$stage/data/corpora/inews-silver/$f"; done
cp -r data/encoders/lac "$stage/data/encoders/"
(cd "$stage" && tar cf - data | xz -T2 -6) > .devcarry/data.tar.xz && rm -rf "$stage"
du -sh .devcarry
