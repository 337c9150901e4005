#!/usr/bin/env bash
# secure-setup.sh -- creates what mosquitto-secure.conf needs: a local CA, the broker's certificate, the accounts (tallier, organiser and one per voter) and their passwords
# Usage: scripts/secure-setup.sh [--dir DIR] [--force] VOTERS_FILE [NAME...]
#   VOTERS_FILE   one voter account per line (1 to 64 characters from A-Z a-z 0-9 _ - . @;
#                 blank lines and lines starting with # are skipped); "-" for none
#   NAME...       more names or addresses the broker is reached by, for its certificate
#                 (localhost, 127.0.0.1, ::1, `hostname` and `hostname -f` are always in it)
#   --dir DIR     where the files go (default: secure/ at the repository root, ignored by git)
#   --force       start over: a new CA, certificate and passwords (every voter then needs
#                 the new CA certificate and password)
# Creates in DIR (mode 0700, every file 0600, owned by whoever runs it; run as root, the
# group of the user mosquitto may enter DIR and read what the broker reads, see below):
#   ca.key ca.crt        the CA (ca.key never leaves DIR; hand ca.crt to voters and watchers)
#   server.key server.crt  the broker's key and certificate, signed by the CA
#   passwd               the accounts, hashed (mosquitto_passwd), for password_file
#   passwords            "<account> <password>" per line: give each voter theirs
# Run again with a longer VOTERS_FILE, it adds the new accounts and keeps everything that
# exists: it never overwrites a secret without --force. It prints no secret.
set -euo pipefail
umask 077
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$root/secure
force=false

usage() { echo "secure-setup: $1" >&2; echo "usage: scripts/secure-setup.sh [--dir DIR] [--force] VOTERS_FILE [NAME...]" >&2; exit 2; }
die() { echo "secure-setup: $1" >&2; exit 1; }

args=()
while [ $# -gt 0 ]; do
  case $1 in
    --dir) [ $# -ge 2 ] || usage "--dir needs a value"; dir=$2; shift 2 ;;
    --force) force=true; shift ;;
    --help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    --) shift; args+=("$@"); break ;;
    -?*) usage "unknown option '$1'" ;;
    *) args+=("$1"); shift ;;
  esac
done
set -- "${args[@]}"
[ $# -ge 1 ] || usage "missing VOTERS_FILE (one account per line; - for none)"
voters_file=$1
shift
command -v openssl >/dev/null || die "openssl is not installed"
command -v mosquitto_passwd >/dev/null || die "mosquitto_passwd is not installed (Debian package mosquitto)"

# The voters: checked before anything is written.
voters=()
if [ "$voters_file" != - ]; then
  [ -r "$voters_file" ] || die "cannot read $voters_file"
  n=0
  while IFS= read -r line || [ -n "$line" ]; do
    n=$((n + 1))
    line=${line%$'\r'}
    [[ -z ${line//[[:space:]]/} || $line == \#* ]] && continue
    [[ $line =~ ^[A-Za-z0-9_.@-]{1,64}$ ]] ||
      die "$voters_file:$n: invalid account '$line' (1 to 64 characters from A-Z a-z 0-9 _ - . @)"
    [ "$line" != tallier ] || die "$voters_file:$n: 'tallier' is the tallier's account, not a voter's"
    [ "$line" != organiser ] || die "$voters_file:$n: 'organiser' is pollctl's account, not a voter's"
    for v in "${voters[@]}"; do
      [ "$v" != "$line" ] || die "$voters_file:$n: account '$line' given twice"
    done
    voters+=("$line")
  done < "$voters_file"
fi

if $force && [ -d "$dir" ]; then
  for f in ca.key ca.crt ca.srl server.key server.csr server.crt server.ext passwd passwords; do
    rm -f "$dir/$f"
  done
fi
mkdir -p "$dir"
chmod 700 "$dir"
dir=$(cd "$dir" && pwd)
cd "$dir"

# The CA: made once.
if [ -e ca.key ] || [ -e ca.crt ]; then
  [ -s ca.key ] && [ -s ca.crt ] || die "$dir holds only half a CA (ca.key, ca.crt): remove it or use --force"
  echo "secure-setup: keeping the CA in $dir (--force makes a new one)"
else
  openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 -days 3650 \
    -subj "/CN=mqtt-vote local CA" -keyout ca.key -out ca.crt \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null ||
    die "openssl could not make the CA"
  echo "secure-setup: made a CA: $dir/ca.crt (hand it to voters), $dir/ca.key (never leaves $dir)"
fi

# The broker's certificate: every name it is reached by.
if [ -e server.key ] || [ -e server.crt ]; then
  [ -s server.key ] && [ -s server.crt ] || die "$dir holds only half a server certificate: remove it or use --force"
  echo "secure-setup: keeping the broker's certificate ($(openssl x509 -in server.crt -noout -ext subjectAltName | tail -n +2 | sed 's/^ *//'))"
  [ $# -eq 0 ] || echo "secure-setup: the names given ($*) are not added: use --force to make a new certificate"
else
  san="DNS:localhost,IP:127.0.0.1,IP:::1"
  for name in "$(hostname)" "$(hostname -f 2>/dev/null || true)" "$@"; do
    [ -n "$name" ] || continue
    if [[ $name =~ ^[0-9.]+$ || $name == *:* ]]; then entry="IP:$name"; else entry="DNS:$name"; fi
    [[ $name =~ ^[A-Za-z0-9.:_-]+$ ]] || die "invalid name '$name' for the certificate"
    [[ ,$san, == *,"$entry",* ]] || san="$san,$entry"
  done
  printf 'subjectAltName=%s\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' "$san" > server.ext
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 \
    -subj "/CN=$(hostname)" -keyout server.key -out server.csr 2>/dev/null &&
    openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -set_serial "0x$(openssl rand -hex 16)" \
      -days 825 -sha256 -extfile server.ext -out server.crt 2>/dev/null ||
    die "openssl could not make the broker's certificate"
  rm -f server.csr server.ext
  echo "secure-setup: made the broker's certificate for $san"
fi

# The accounts: tallier, organiser (pollctl), then each voter not in the password file yet.
touch passwords passwd
added=0
for account in tallier organiser "${voters[@]}"; do
  if grep -q "^$account " passwords; then
    continue
  fi
  pw=$(openssl rand -base64 24 | tr -d '/+=\n' | cut -c1-20)
  mosquitto_passwd -b passwd "$account" "$pw" || die "mosquitto_passwd failed for '$account'"
  printf '%s %s\n' "$account" "$pw" >> passwords
  added=$((added + 1))
done
chmod 600 ./*
# Mosquitto 2.0.11 started as root becomes the user "mosquitto" before it reads its
# certificate, key and password file: when we are root, that user's group may read those
# four (0640) and enter the directory (0710, no listing); ca.key and passwords stay 0600.
if [ "$(id -u)" -eq 0 ] && getent passwd mosquitto >/dev/null; then
  group=$(id -gn mosquitto)
  chgrp "$group" . ca.crt server.crt server.key passwd
  chmod 710 .
  chmod 640 ca.crt server.crt server.key passwd
fi
echo "secure-setup: $added account(s) added; $(wc -l < passwords) in all; passwords in $dir/passwords (yours to hand out, one line each)"
