#!/usr/bin/env bash
# Builds goretain's container image offline, from the goretain binary and the Debian shared
# libraries it links (no registry, no base image, no network).
#
#   scripts/build-image.sh [GORETAIN_BINARY] [OUT_DIR] [TAG]
#     GORETAIN_BINARY  default: build/userspace/goretain
#     OUT_DIR          default: build/image
#     TAG              default: goretain:dev
#
# Produces in OUT_DIR:
#   rootfs/                     the image's file tree: /usr/bin/goretain, every library `ldd`
#                               lists (at the same paths), the ELF interpreter, a minimal /etc
#                               (passwd/group for root only; no CA bundle: goretain talks to no
#                               TLS server), empty /proc /sys /tmp /dev mount points
#   goretain-image.oci.tar      an OCI image layout (one gzip layer, config with
#                               ENTRYPOINT ["/usr/bin/goretain"] CMD ["agent"]), loadable with
#                               `ctr -n k8s.io images import`, `podman load` or `skopeo copy`
# and, when podman is installed, imports the same rootfs as TAG (`podman import --change`).
# The layer is reproducible: sorted names, numeric root owner, fixed mtime, gzip -n.
set -euo pipefail

BIN=${1:-build/userspace/goretain}
OUT=${2:-build/image}
TAG=${3:-goretain:dev}
[[ -x $BIN ]] || { echo "build-image: no executable at $BIN (hint: build first)" >&2; exit 2; }
for tool in ldd tar gzip sha256sum; do
  command -v "$tool" >/dev/null || { echo "build-image: $tool is missing" >&2; exit 2; }
done

ROOT=$OUT/rootfs
rm -rf "$ROOT" "$OUT/oci" "$OUT/goretain-image.oci.tar"
mkdir -p "$ROOT"/{usr/bin,etc,proc,sys,dev,tmp,run} "$OUT/oci/blobs/sha256"
chmod 1777 "$ROOT/tmp"
install -m 0755 "$BIN" "$ROOT/usr/bin/goretain"
# Debug info is for developers, not nodes (a RelWithDebInfo build is ~5x larger with it).
if command -v strip >/dev/null; then strip --strip-debug "$ROOT/usr/bin/goretain"; fi

# Every shared object the binary loads, and the interpreter, copied to the same absolute paths
# (symlinks resolved: the image holds files, not links to files it lacks).
copy_lib() {
  local src=$1
  [[ -e $src ]] || return 0
  mkdir -p "$ROOT$(dirname "$src")"
  cp -L "$src" "$ROOT$src"
}
while read -r line; do
  case $line in
    *"=> /"*) copy_lib "$(sed -E 's/.*=> ([^ ]+) .*/\1/' <<<"$line")" ;;
    /*) copy_lib "${line%% *}" ;;
  esac
done < <(ldd "$BIN")
cat > "$ROOT/etc/passwd" <<'P'
root:x:0:0:root:/:/usr/bin/goretain
P
cat > "$ROOT/etc/group" <<'G'
root:x:0:
G
echo "goretain container image; the agent reads the host through hostPID and hostPath mounts" \
  > "$ROOT/etc/goretain-image"

# One layer: a reproducible tar of the rootfs.
LAYER=$OUT/oci/layer.tar
tar --sort=name --numeric-owner --owner=0 --group=0 --mtime=@0 -C "$ROOT" -cf "$LAYER" .
DIFF_ID=$(sha256sum "$LAYER" | cut -d' ' -f1)
gzip -n -6 -f "$LAYER"
blob() {  # moves/writes a file into blobs/sha256 and prints "digest size"
  local f=$1 d s
  d=$(sha256sum "$f" | cut -d' ' -f1); s=$(stat -c %s "$f")
  mv "$f" "$OUT/oci/blobs/sha256/$d"
  echo "$d $s"
}
read -r LAYER_D LAYER_S < <(blob "$LAYER.gz")
cat > "$OUT/oci/config.json" <<C
{"architecture":"amd64","os":"linux","config":{"Entrypoint":["/usr/bin/goretain"],"Cmd":["agent"],"WorkingDir":"/"},"rootfs":{"type":"layers","diff_ids":["sha256:$DIFF_ID"]},"history":[{"created_by":"scripts/build-image.sh"}]}
C
read -r CONFIG_D CONFIG_S < <(blob "$OUT/oci/config.json")
cat > "$OUT/oci/manifest.json" <<M
{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:$CONFIG_D","size":$CONFIG_S},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:$LAYER_D","size":$LAYER_S}]}
M
read -r MANIFEST_D MANIFEST_S < <(blob "$OUT/oci/manifest.json")
cat > "$OUT/oci/index.json" <<I
{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:$MANIFEST_D","size":$MANIFEST_S,"annotations":{"org.opencontainers.image.ref.name":"$TAG","io.containerd.image.name":"docker.io/library/$TAG"}}]}
I
echo '{"imageLayoutVersion":"1.0.0"}' > "$OUT/oci/oci-layout"
tar --sort=name --numeric-owner --owner=0 --group=0 --mtime=@0 -C "$OUT/oci" \
  -cf "$OUT/goretain-image.oci.tar" oci-layout index.json blobs
rm -rf "$OUT/oci"

if command -v podman >/dev/null 2>&1; then
  tar --numeric-owner -C "$ROOT" -c . | podman import \
    --change 'ENTRYPOINT ["/usr/bin/goretain"]' --change 'CMD ["agent"]' - "$TAG" >/dev/null
  echo "build-image: imported $TAG into podman" >&2
fi
echo "build-image: $OUT/goretain-image.oci.tar ($(du -h "$OUT/goretain-image.oci.tar" | cut -f1)), rootfs in $ROOT" >&2
