#!/usr/bin/env bash
# Installs the real data the offline demo runs on: Fashion-MNIST from Debian's
# dataset-fashion-mnist package (/usr/share/datasets/fashion-mnist). The workflow verifies
# the decompressed files against their SHA-256 (Debian re-compresses the .gz files).
set -euo pipefail
target=/usr/share/datasets/fashion-mnist
if [ -d "$target" ]; then
    exit 0
fi
if ! command -v apt-get >/dev/null; then
    echo "Fashion-MNIST is missing and this is not a Debian/Ubuntu machine." >&2
    echo "Put the four Fashion-MNIST IDX files (.gz or unpacked) into ~/datasets/fashion_mnist" >&2
    echo "(a folder listed under data.mirrors in config/config.yaml), or enable data.download." >&2
    exit 1
fi
sudo=""
if [ "$(id -u)" != 0 ]; then
    sudo="sudo"
fi
echo "Installing Debian's dataset-fashion-mnist (the demo's offline stand-in for MNIST)..." >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq dataset-fashion-mnist >/dev/null
test -d "$target"
