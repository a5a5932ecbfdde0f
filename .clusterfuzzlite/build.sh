#!/usr/bin/env bash
# Builds every cargo-fuzz target in fuzz/ and installs it, with its seed corpus and dictionary, in $OUT — the
# layout ClusterFuzzLite and OSS-Fuzz expect:
#   $OUT/<target>                 the libFuzzer binary
#   $OUT/<target>_seed_corpus.zip fuzz/corpus/<target>/ plus fuzz/regressions/<target>/
#   $OUT/<target>.dict            libFuzzer dictionary (the JSON targets)
#
# In the builder image (.clusterfuzzlite/Dockerfile) $SRC, $OUT and $SANITIZER are set by the infrastructure,
# and `cargo fuzz build` picks up its sanitizer flags. Locally, on stable Rust, the same script proves the
# build works (.ci/run does this):
#   SANITIZER=none OUT=fuzz/target/cflite-out .clusterfuzzlite/build.sh
set -euo pipefail

src_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ -n "${SRC:-}" && -d "$SRC/sksim/fuzz" ]]; then
    src_root="$SRC/sksim"
fi
out="${OUT:?set OUT to the directory the fuzz targets are installed in}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
cd "$src_root"

# In the builder image SANITIZER is `address` (the only sanitizer OSS-Fuzz supports for Rust) or `coverage`;
# either way `cargo fuzz build` with its default sanitizer is what the image's cargo wrapper expects. `none` is
# for stable toolchains outside the image.
flags=(-O --debug-assertions)
case "${SANITIZER:-address}" in
    none) flags+=(--sanitizer none) ;;
    address | coverage) ;;
    *)
        echo "build.sh: unsupported SANITIZER '${SANITIZER}' (address or coverage in the image; none locally)" >&2
        exit 2
        ;;
esac

mapfile -t targets < <(cargo fuzz list)
if [[ ${#targets[@]} -eq 0 ]]; then
    echo "build.sh: cargo fuzz list named no targets" >&2
    exit 2
fi
echo "build.sh: cargo fuzz build ${flags[*]} (${#targets[@]} targets)" >&2
cargo fuzz build "${flags[@]}"

triple="$(rustc -vV | sed -n 's/^host: //p')"
# Where cargo put the binaries: fuzz/target unless CARGO_TARGET_DIR (or a cargo config) says otherwise.
target_dir="$(cargo metadata --format-version 1 --no-deps --manifest-path fuzz/Cargo.toml |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
bin_dir="$target_dir/$triple/release"
for t in "${targets[@]}"; do
    if [[ ! -x "$bin_dir/$t" ]]; then
        echo "build.sh: $bin_dir/$t was not built" >&2
        exit 1
    fi
    cp "$bin_dir/$t" "$out/$t"
    seeds=()
    for dir in "fuzz/corpus/$t" "fuzz/regressions/$t"; do
        if [[ -d "$dir" ]]; then
            while IFS= read -r -d '' f; do seeds+=("$f"); done < <(find "$dir" -type f -print0 | sort -z)
        fi
    done
    if [[ ${#seeds[@]} -eq 0 ]]; then
        echo "build.sh: no seed corpus for $t (fuzz/corpus/$t is empty or missing)" >&2
        exit 1
    fi
    rm -f "$out/${t}_seed_corpus.zip"
    # libFuzzer reads seed files by content, so same-named files from corpus/ and regressions/ are renamed.
    python3 - "$out/${t}_seed_corpus.zip" "${seeds[@]}" <<'PY'
import sys, zipfile
archive, files = sys.argv[1], sys.argv[2:]
with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
    for path in files:
        z.write(path, path.replace("/", "__"))
PY
    case "$t" in
        accord_* | chatalot_* | adapter) cp fuzz/dict/json.dict "$out/$t.dict" ;;
    esac
    echo "build.sh: $t -> $out/$t (${#seeds[@]} seed inputs)" >&2
done
