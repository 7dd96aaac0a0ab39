#!/usr/bin/env bash
# System packages tcplab needs: Chromium for the browser shell and the e2e tests (with CJK fonts,
# so 简体中文 renders in screenshots), libpcap (loaded through koffi) for live
# capture, tcpdump and tshark as reference decoders, and the tools the interop tests drive.
set -euo pipefail
PACKAGES=(chromium fonts-noto-cjk libpcap0.8 tcpdump tshark iputils-ping iproute2 socat netcat-openbsd curl iptables nftables python3)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "tcplab: system packages present (${PACKAGES[*]})"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "tcplab: missing system packages: ${missing[*]}"
  echo "Run once:  sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y ${missing[*]}"
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer for it (no setuid dumpcap).
echo 'wireshark-common wireshark-common/install-setuid boolean false' | debconf-set-selections
apt-get update -qq
apt-get install -y -qq "${missing[@]}"
echo "tcplab: installed ${missing[*]}"
