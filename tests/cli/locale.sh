#!/usr/bin/env bash
# Compiles a de_DE.UTF-8 locale (comma decimal point) into a scratch folder
# and checks that scenarios, data files and the JSON summary read and write
# numbers the same under it.
source "$(dirname "$0")/common.bash"
: "${TYCHE_TESTS:?set TYCHE_TESTS to the unit-test runner}"
if ! command -v localedef >/dev/null || [[ ! -e /usr/share/i18n/locales/de_DE ]]; then
  echo "skipped: localedef or the de_DE locale source is missing (Debian package locales)"
  exit 0
fi
mkdir -p loc
localedef -i de_DE -f UTF-8 loc/de_DE.UTF-8 2>/dev/null || true
[[ -e loc/de_DE.UTF-8 ]] || { bad "localedef failed"; finish; }
LOCPATH=$PWD/loc TYCHE_TEST_LOCALE=de_DE.UTF-8 "$TYCHE_TESTS" numbers_parse_the_same_under_a_comma_decimal_locale \
  && ok || bad "comma-decimal locale"
finish
