#!/usr/bin/env bash
# Install what tests/test_dokuwiki.py needs: Debian's dokuwiki package (bookworm:
# 2022-07-31 "Igor") and PHP's command-line interpreter with the xml extension.
# The tests serve a private copy of the wiki with `php -S`; no web server is used.
#
# php8.2-cgi is named so that apt satisfies the `php` metapackage's
# "libapache2-mod-php | php-fpm | php-cgi" dependency with it: otherwise apt picks
# libapache2-mod-php8.2, which pulls in apache2-bin (seen with apt-get -s). With it and
# --no-install-recommends nothing is started. Idempotent and quiet.
set -euo pipefail

packages=(dokuwiki php-cli php8.2-cgi php-xml)
if [ -f /usr/share/dokuwiki/doku.php ] && command -v php > /dev/null \
    && php -r 'exit(extension_loaded("xml") ? 0 : 1);' 2> /dev/null; then
    exit 0
fi
if ! apt-cache show dokuwiki > /dev/null 2>&1; then
    apt-get update -qq
fi
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" > /dev/null
