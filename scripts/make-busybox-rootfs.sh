#!/bin/sh
# Makes a minimal busybox root filesystem from Debian's busybox-static in DIR.
# Usage: scripts/make-busybox-rootfs.sh DIR [BUSYBOX]
#   BUSYBOX: the binary to put in (default the host's /bin/busybox), e.g. a foreign architecture's
#   from scripts/fetch-foreign-busybox.sh; the applet links come from the host's busybox (same
#   Debian version), since a foreign binary may not run here.
set -eu
dir=${1:?usage: make-busybox-rootfs.sh DIR [BUSYBOX]}
bb=/bin/busybox
src=${2:-$bb}
[ -x "$bb" ] || { echo "busybox-static is not installed (apt-get install busybox-static)" >&2; exit 1; }
mkdir -p "$dir/bin" "$dir/sbin" "$dir/usr/bin" "$dir/usr/sbin" "$dir/etc" "$dir/tmp" "$dir/root" "$dir/home" "$dir/var/www" "$dir/proc" "$dir/sys" "$dir/dev"
chmod 1777 "$dir/tmp"
cp "$src" "$dir/bin/busybox"
for applet in $("$bb" --list); do
  [ "$applet" = busybox ] && continue
  [ -e "$dir/bin/$applet" ] || ln -s busybox "$dir/bin/$applet"
done
cat > "$dir/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
bin:x:2:2:bin:/bin:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
P
cat > "$dir/etc/group" <<'G'
root:x:0:
daemon:x:1:
bin:x:2:
wheel:x:10:root
www-data:x:33:
nogroup:x:65534:
G
echo 'hosts: files dns' > "$dir/etc/nsswitch.conf"
